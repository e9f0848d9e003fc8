"""Deterministic demo data set: pure generation, numpy only, no database.

:func:`generate` builds every table of the demo data set from a seed and a scale; the loader
(:mod:`setu.demo.load`) writes it in bulk. The same ``(scale, seed)`` always gives the same data,
UUIDs included.

What the data set models (facts from the design brief, section 1, and the domain notes,
section 3): an operator party (India, demo) sustaining equipment of origin-party (Russia, demo)
design — a long-range SAM system, frigates, fighters, main battle tanks, portable air-defence
systems and helicopters — through depots (echelon 1) that resupply bases (echelon 2), with parts
made by origin OEMs, local licensed builders and joint ventures, and a few bought on global
tenders. Every organisation and site is fictional and carries "(demo)" in its name.

Demand calibration
------------------
Monthly demand per (part, site) is generated to match the statistics of the Royal Air Force
spare-parts data (5,000 items x 84 months, ``../shared/data/raf_demand.csv.gz``), measured once at
development time; the data file is not needed at run time. RAF figures (per item; ADI = months /
months with demand; CV^2 = squared coefficient of variation of the non-zero sizes):

====================  ==========================================
share of zero months  0.898
ADI quantiles         p10 7.0, p25 8.4, p50 10.5, p75 14.0, p90 16.8
CV^2 quantiles        p10 0.086, p25 0.152, p50 0.40, p75 0.78, p90 1.38 (mean 0.63)
non-zero sizes        p25 1, p50 2, p75 10, p90 28, p95 55, p99 200; 36 % are 1
months with demand    mean 8.54, variance 8.33, minimum 3 (no item has fewer)
SBC classes           intermittent 58 %, lumpy 42 %, smooth/erratic 0 %
====================  ==========================================

The generator that reproduces them (fitted by simulation against those quantiles):

- months with demand ``k ~ Poisson(8.5)`` truncated to ``k >= 3`` (the RAF count has mean ~=
  variance, i.e. Poisson, and a floor of 3), placed uniformly at random over the 84 months;
- size of each demand ``1 + NegBin(mean=lam, shape=r)`` with, per series,
  ``log lam ~ N(1.1, 1.8)`` and ``log r ~ N(-0.2, 0.9)``.

The per-series draws are then matched to parts by rank (a Gaussian copula with noise), so that
the marginal statistics stay exactly calibrated while realism is kept: consumables fitted many
times per assembly (bolts, seals) get the large demand sizes, expensive repairable aggregates the
small ones, and sites holding more units of the equipment demand more often.

Which series exist: about 70 % of the parts have demand history (the rest: new or very reliable
items, for reliability-based forecasts); such a part has demand at one to four of the bases where
its equipment is stationed (weighted by the units there; most equipment sits at two or three
bases, so ~1.2 on average) and, for aggregates and components, sometimes at the parent depot as
well (depot-level repair). That bounds the demand table at ~1.3 series per part, i.e. ~11 non-zero
rows per part: ~22,000 rows at scale 1, ~530,000 at 50,000 parts. Only months with demand are
stored; a missing month means zero demand.

Stock positions
---------------
Positions exist at every demand series' site and its parent depot; those the readiness page reads
(:mod:`setu.readiness.service`: LRUs at each base operating their type, every part of a bill at
the bases' depots) are sized from each item's expected pipeline, computed here from the generated
arrays with the same case-input functions as the service (:mod:`setu.engine.readiness.inputs`: LRU demand from the last 24 months of
history, else units x quantity x hours / MTBF; SRU demand down the bill by failure share; depot
turnaround (1 - condemnation) x repair + condemnation x lead time; 7 days order-and-ship):
depot stock to a random fill rate, then base stock, LRU by LRU with noise, until each base
reaches its type's :attr:`EquipmentSpec.readiness` (:func:`readiness_spares`). So the page shows
a plausible picture with today's stock -- the fighter fleet lowest (~0.58, as the real fleet that
fell to 46 % and recovered to >63 %), the others 0.67-0.89 -- that a moderate budget improves.
Repair turnarounds are 60-180 days for origin-country repair, 30-120 days for local or tender
repair. The demand calibration above is untouched.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Sequence

import numpy as np

from setu.engine.bom import bom_levels
from setu.engine.readiness import inputs as case_inputs

#: Default seed: the date the spares agreement was signed (4 Sep 2019).
DEFAULT_SEED = 20190904
#: Parts at scale 1 (the brief's "~2,000 parts"); equipment units at scale 1 (~300).
BASE_PARTS = 2000
#: Part numbers and NIINs are unique by construction up to ~1,000,000 parts.
MAX_SCALE = 500
HISTORY_START = date(2019, 1, 1)
HISTORY_MONTHS = 84

# ---- demand calibration (see the module docstring) ------------------------------------------
DEMAND_MONTHS_POISSON_MEAN = 8.5
DEMAND_MONTHS_MIN = 3
SIZE_LOG_MEAN_MU, SIZE_LOG_MEAN_SD = 1.1, 1.8
SIZE_LOG_SHAPE_MU, SIZE_LOG_SHAPE_SD = -0.2, 0.9
#: RAF statistics measured at development time (used by tests and the docs; not by generation).
RAF_STATS = {
    "zero_share": 0.898,
    "adi_quantiles": {10: 7.0, 25: 8.4, 50: 10.5, 75: 14.0, 90: 16.8},
    "cv2_quantiles": {10: 0.086, 25: 0.152, 50: 0.40, 75: 0.78, 90: 1.38},
    "cv2_mean": 0.63,
    "size_quantiles": {25: 1, 50: 2, 75: 10, 90: 28, 95: 55, 99: 200},
    "size_one_share": 0.36,
}

#: Demo exchange rates (units of currency per USD), for prices only.
USD_RATE = {"USD": 1.0, "INR": 83.0, "RUB": 92.0}


# ---- the static parts of the data set ------------------------------------------------------

PARTIES = (
    # code, name, role, currency
    ("IND", "India (demo)", "operator", "INR"),
    ("RUS", "Russia (demo)", "origin", "RUB"),
)

ORGANISATIONS = (
    # code, party, kind, name
    ("IN-AIR-HQ", "IND", "armed_service_hq", "Air Staff Headquarters (demo)"),
    ("IN-ARMY-HQ", "IND", "armed_service_hq", "Army Staff Headquarters (demo)"),
    ("IN-NAVY-HQ", "IND", "armed_service_hq", "Naval Staff Headquarters (demo)"),
    ("IN-DEPOTS", "IND", "depot", "Repair and Stores Depots Command (demo)"),
    ("IN-BASES", "IND", "base", "Field Formations Logistics Wing (demo)"),
    ("IN-HAW", "IND", "oem", "Hindustan Aero Works, licensed production (demo)"),
    ("IN-JV-RIFLES", "IND", "joint_venture", "Indo-Russian Rifles Works JV (demo)"),
    ("IN-JV-ROTOR", "IND", "joint_venture", "Indo-Russian Light Helicopters JV (demo)"),
    ("IN-JV-OPTRON", "IND", "joint_venture", "Indo-Russian Optronics JV (demo)"),
    ("IN-DQA", "IND", "quality_authority", "Directorate of Quality Assurance (demo)"),
    ("IN-SPO", "IND", "programme_office", "Joint Sustainment Programme Office (demo)"),
    ("RU-EXPORT", "RUS", "export_agency", "State Defence Export Agency (demo)"),
    ("RU-AERO", "RUS", "oem", "Northern Aircraft and Rotorcraft Corporation (demo)"),
    ("RU-AD", "RUS", "oem", "Volga Air Defence Concern (demo)"),
    ("RU-LANDSEA", "RUS", "oem", "Ural-Baltic Land and Naval Systems (demo)"),
)

SITES = (
    # code, name, kind, organisation, echelon, parent site code
    ("DEP-N", "Northern Base Repair Depot (demo)", "depot", "IN-DEPOTS", 1, None),
    ("DEP-C", "Central Ordnance Depot (demo)", "depot", "IN-DEPOTS", 1, None),
    ("DEP-W", "Western Naval Stores Depot (demo)", "depot", "IN-DEPOTS", 1, None),
    ("PLANT-HAW", "Licensed Production Plant, Deccan (demo)", "plant", "IN-HAW", 1, None),
    ("PORT-W", "Western Port of Entry (demo)", "port", "IN-DEPOTS", 1, None),
    ("AFS-1", "Air Force Station Alpha (demo)", "base", "IN-AIR-HQ", 2, "DEP-N"),
    ("AFS-2", "Air Force Station Bravo (demo)", "base", "IN-AIR-HQ", 2, "DEP-N"),
    ("AFS-3", "Air Force Station Charlie (demo)", "base", "IN-AIR-HQ", 2, "DEP-C"),
    ("HELI-1", "Helicopter Unit Base Delta (demo)", "base", "IN-AIR-HQ", 2, "DEP-N"),
    ("ADR-1", "Air Defence Regiment Site East (demo)", "base", "IN-AIR-HQ", 2, "DEP-C"),
    ("ADR-2", "Air Defence Regiment Site North (demo)", "base", "IN-AIR-HQ", 2, "DEP-N"),
    ("CANT-1", "Armoured Cantonment Echo (demo)", "base", "IN-BASES", 2, "DEP-C"),
    ("CANT-2", "Armoured Cantonment Foxtrot (demo)", "base", "IN-BASES", 2, "DEP-N"),
    ("CANT-3", "Armoured Cantonment Golf (demo)", "base", "IN-BASES", 2, "DEP-C"),
    ("NB-1", "Naval Base Western Fleet (demo)", "base", "IN-NAVY-HQ", 2, "DEP-W"),
)


@dataclass(frozen=True)
class EquipmentSpec:
    code: str
    name: str
    category: str
    oem: str
    hours_per_year: float
    units: int  # at scale 1
    #: Share of the equipment units at each site (base codes), summing to 1.
    sites: dict[str, float]
    #: Share of the parts catalogue belonging to this equipment's bill of material.
    part_share: float
    #: Operational / down for maintenance / down for parts.
    status_mix: tuple[float, float, float]
    #: Mean operating hours between failures needing a part (equipment level).
    mtbf_hours: float
    aggregates: tuple[str, ...]
    #: Probability that a level-3 part comes from a local (operator-country) maker.
    local_share: float
    #: Fleet availability today's demo stock is sized for (see "Stock positions" in the module
    #: docstring); the readiness page's prediction lands near it.
    readiness: float = 0.75


EQUIPMENT = (
    EquipmentSpec("LRSAM-D", "Long-range SAM system (demo)", "air_defence_long_range", "RU-AD", 1500.0, 10,
                  {"ADR-1": 0.5, "ADR-2": 0.5}, 0.17, (0.80, 0.12, 0.08), 40.0,
                  ("Surveillance radar", "Engagement radar", "Transporter-erector-launcher", "Command post",
                   "Power generation unit", "Missile handling equipment", "Communications shelter",
                   "Hydraulic levelling system", "Cooling system", "Prime mover"), 0.10, readiness=0.82),
    EquipmentSpec("FRG-D", "Guided-missile frigate (demo)", "frigate", "RU-LANDSEA", 2200.0, 6,
                  {"NB-1": 1.0}, 0.18, (0.67, 0.33, 0.0), 25.0,
                  ("Gas turbine propulsion unit", "Reduction gearbox", "Air-search radar", "Fire-control radar",
                   "Hull-mounted sonar", "Main gun mount", "Diesel generator", "Steering gear",
                   "Combat management system", "Vertical missile launcher", "Navigation radar",
                   "Close-in weapon system"), 0.25, readiness=0.72),
    EquipmentSpec("FTR-D", "Multirole fighter aircraft (demo)", "fighter_aircraft", "RU-AERO", 220.0, 110,
                  {"AFS-1": 0.4, "AFS-2": 0.35, "AFS-3": 0.25}, 0.30, (0.60, 0.22, 0.18), 12.0,
                  ("Turbofan engine", "Main landing gear", "Nose landing gear", "Fire-control radar",
                   "Opto-electronic sighting system", "Fly-by-wire flight control system", "Hydraulic power system",
                   "Fuel system", "Ejection seat", "Environmental control system", "Navigation complex",
                   "Electrical power system", "Main wheels and brakes", "Radio communication suite",
                   "Cockpit instruments", "Electronic warfare suite"), 0.35, readiness=0.57),
    EquipmentSpec("MBT-D", "Main battle tank (demo)", "main_battle_tank", "RU-LANDSEA", 250.0, 130,
                  {"CANT-1": 0.4, "CANT-2": 0.35, "CANT-3": 0.25}, 0.16, (0.74, 0.16, 0.10), 30.0,
                  ("Diesel engine", "Transmission", "Running gear", "Main gun", "Fire-control system",
                   "Gunner's thermal sight", "Turret drive", "Auto-loader", "NBC protection system",
                   "Vehicle radio set"), 0.30, readiness=0.74),
    EquipmentSpec("MANPADS-D", "Portable air-defence system (demo)", "air_defence_portable", "RU-AD", 40.0, 30,
                  {"CANT-1": 0.3, "CANT-2": 0.3, "ADR-1": 0.2, "ADR-2": 0.2}, 0.05, (0.88, 0.08, 0.04), 150.0,
                  ("Launch tube assembly", "Gripstock", "Battery and coolant unit", "IFF interrogator",
                   "Night sight"), 0.45, readiness=0.82),
    EquipmentSpec("HEL-D", "Light utility helicopter (demo)", "helicopter", "RU-AERO", 300.0, 40,
                  {"HELI-1": 0.6, "AFS-3": 0.4}, 0.14, (0.64, 0.20, 0.16), 10.0,
                  ("Turboshaft engine", "Main rotor head", "Main rotor blade set", "Tail rotor",
                   "Main gearbox", "Flight control system", "Avionics suite", "Landing gear",
                   "Electrical power system"), 0.30, readiness=0.68),
)

#: Part classes: name -> (kind, median price USD, NATO supply class, unit of issue, shelf life
#: months or 0, quantity-per-assembly upper bound).
COMPONENT_CLASSES = {
    "Fuel pump": ("repairable", 18000, "2915", "EA", 0, 2),
    "Hydraulic actuator": ("repairable", 22000, "1650", "EA", 0, 4),
    "Servo valve": ("repairable", 9000, "1650", "EA", 0, 3),
    "Accessory gearbox": ("repairable", 45000, "1680", "EA", 0, 1),
    "Starter generator": ("repairable", 30000, "6115", "EA", 0, 2),
    "Brake assembly": ("repairable", 14000, "1630", "EA", 0, 2),
    "Wheel assembly": ("repairable", 7000, "1630", "EA", 0, 4),
    "Cooling turbine": ("repairable", 26000, "1660", "EA", 0, 1),
    "Valve block": ("repairable", 8000, "4820", "EA", 0, 2),
    "Oil pump": ("repairable", 6000, "2990", "EA", 0, 2),
    "Drive shaft": ("repairable", 5000, "3040", "EA", 0, 2),
    "Shock absorber": ("repairable", 3500, "2530", "EA", 0, 6),
    "Compressor module": ("repairable", 120000, "2840", "EA", 0, 1),
    "Turbine blade set": ("repairable", 60000, "2840", "SE", 0, 1),
    "Power supply unit": ("repairable", 12000, "6130", "EA", 0, 2),
    "Transmitter module": ("repairable", 55000, "5840", "EA", 0, 2),
    "Receiver module": ("repairable", 40000, "5840", "EA", 0, 2),
    "Signal processor LRU": ("repairable", 70000, "5841", "EA", 0, 1),
    "Display processor": ("repairable", 35000, "5895", "EA", 0, 1),
    "Gyro unit": ("repairable", 28000, "6605", "EA", 0, 1),
    "Control panel": ("repairable", 6000, "5895", "EA", 0, 2),
    "Sensor head": ("repairable", 16000, "6650", "EA", 0, 1),
    "Antenna drive unit": ("repairable", 24000, "5985", "EA", 0, 1),
    "Data bus interface unit": ("repairable", 11000, "5998", "EA", 0, 2),
    "Video amplifier unit": ("repairable", 4000, "5996", "EA", 0, 2),
    "Thermal imager module": ("repairable", 48000, "5855", "EA", 0, 1),
    "Laser rangefinder": ("repairable", 38000, "1260", "EA", 0, 1),
    "Electric motor": ("repairable", 3000, "6105", "EA", 0, 4),
    "Pressure transducer": ("repairable", 2500, "6685", "EA", 0, 4),
}
LEAF_CLASSES = {
    # name: (kind, median price USD, NSC, unit of issue, shelf life months (0 none), max qpa)
    "Capacitor": ("consumable", 15, "5910", "EA", 0, 24),
    "Resistor": ("consumable", 4, "5905", "EA", 0, 40),
    "Transformer": ("consumable", 180, "5950", "EA", 0, 4),
    "Photodiode": ("consumable", 95, "5961", "EA", 0, 4),
    "O-ring seal": ("consumable", 3, "5330", "EA", 60, 30),
    "Bolt": ("consumable", 6, "5306", "EA", 0, 48),
    "Self-locking nut": ("consumable", 2, "5310", "EA", 0, 48),
    "Rivet": ("consumable", 1, "5320", "BX", 0, 10),
    "Ball bearing": ("consumable", 140, "3110", "EA", 0, 6),
    "Filter element": ("consumable", 90, "4330", "EA", 0, 4),
    "Gasket": ("consumable", 12, "5330", "EA", 0, 12),
    "Brake disc": ("consumable", 2200, "1630", "EA", 0, 8),
    "Tyre": ("consumable", 1600, "2620", "EA", 60, 4),
    "Relay": ("consumable", 120, "5945", "EA", 0, 8),
    "Connector": ("consumable", 45, "5935", "EA", 0, 20),
    "Fuse": ("consumable", 3, "5920", "EA", 0, 12),
    "Indicator lamp": ("consumable", 20, "6240", "EA", 0, 10),
    "Hose assembly": ("consumable", 260, "4720", "EA", 96, 6),
    "Spring": ("consumable", 8, "5360", "EA", 0, 12),
    "Seal kit": ("consumable", 75, "5330", "KT", 60, 2),
    "Storage battery": ("consumable", 650, "6140", "EA", 36, 2),
    "Sealing compound": ("consumable", 40, "8030", "KG", 18, 2),
    "Washer": ("consumable", 1, "5310", "PG", 0, 48),
    "Cable harness": ("consumable", 900, "6150", "EA", 0, 3),
    "Circuit card assembly": ("repairable", 7500, "5998", "EA", 0, 4),
    "Solenoid valve": ("repairable", 1800, "4810", "EA", 0, 4),
    "Cathode-ray display tube": ("repairable", 5200, "5960", "EA", 0, 1),
    "Hydraulic pump cartridge": ("repairable", 3400, "4320", "EA", 0, 2),
}
#: Relative frequency of leaf classes (hardware and electronics piece parts dominate).
LEAF_WEIGHTS = {
    "Capacitor": 8, "Resistor": 8, "Transformer": 4, "Photodiode": 3, "O-ring seal": 8, "Bolt": 8,
    "Self-locking nut": 6, "Rivet": 3, "Ball bearing": 5, "Filter element": 4, "Gasket": 5, "Brake disc": 1,
    "Tyre": 1, "Relay": 4, "Connector": 6, "Fuse": 3, "Indicator lamp": 3, "Hose assembly": 3, "Spring": 3,
    "Seal kit": 3, "Storage battery": 1, "Sealing compound": 1, "Washer": 4, "Cable harness": 2,
    "Circuit card assembly": 6, "Solenoid valve": 3, "Cathode-ray display tube": 1, "Hydraulic pump cartridge": 2,
}
#: Which components sit in which kind of aggregate, and which piece parts in which component.
COMPONENTS_BY_FLAVOUR = {
    "engine": ("Fuel pump", "Accessory gearbox", "Starter generator", "Oil pump", "Compressor module",
               "Turbine blade set", "Drive shaft", "Pressure transducer", "Electric motor"),
    "mechanical": ("Hydraulic actuator", "Servo valve", "Valve block", "Shock absorber", "Brake assembly",
                   "Wheel assembly", "Electric motor", "Drive shaft", "Pressure transducer", "Cooling turbine"),
    "electronic": ("Power supply unit", "Transmitter module", "Receiver module", "Signal processor LRU",
                   "Display processor", "Gyro unit", "Control panel", "Sensor head", "Antenna drive unit",
                   "Data bus interface unit", "Video amplifier unit", "Thermal imager module", "Laser rangefinder"),
}
LEAVES_BY_FLAVOUR = {
    "electronic": ("Capacitor", "Resistor", "Transformer", "Photodiode", "Relay", "Connector", "Fuse",
                   "Indicator lamp", "Cable harness", "Circuit card assembly", "Cathode-ray display tube",
                   "Storage battery"),
    "mechanical": ("O-ring seal", "Bolt", "Self-locking nut", "Rivet", "Ball bearing", "Filter element", "Gasket",
                   "Spring", "Seal kit", "Hose assembly", "Washer", "Sealing compound", "Solenoid valve",
                   "Hydraulic pump cartridge", "Connector"),
    "wheel": ("Tyre", "Brake disc", "Ball bearing", "Seal kit", "Bolt", "Self-locking nut", "Washer"),
}
_MECHANICAL_WORDS = ("hydraulic", "landing gear", "wheels", "seat", "running gear", "gun", "launcher", "loader",
                     "handling", "levelling", "steering", "rotor", "tube", "gripstock", "mover", "cooling", "fuel",
                     "environmental", "weapon", "erector", "drive")
_ENGINE_WORDS = ("engine", "turbine", "propulsion", "gearbox", "transmission", "generator", "power")


_ELECTRONIC_WORDS = ("radar", "sonar", "sight", "radio", "avionics", "electronic", "instrument", "navigation",
                     "command", "communications", "management", "interrogator", "fly-by-wire", "fire-control")
#: Aggregates fitted twice (twin engines, main gear legs, main wheels, paired generators).
TWIN_AGGREGATES = ("Turbofan engine", "Turboshaft engine", "Main landing gear", "Main wheels and brakes",
                   "Gas turbine propulsion unit", "Diesel generator")


def _aggregate_flavour(name: str) -> str:
    low = name.lower()
    if any(w in low for w in _ELECTRONIC_WORDS):
        return "electronic"
    if any(w in low for w in _MECHANICAL_WORDS):
        return "mechanical"
    if any(w in low for w in _ENGINE_WORDS):
        return "engine"
    return "electronic"


def _component_flavour(name: str) -> str:
    if name in ("Wheel assembly", "Brake assembly"):
        return "wheel"
    return "electronic" if name in COMPONENTS_BY_FLAVOUR["electronic"] else "mechanical"


#: Aggregate (level 1) attributes: median price USD and NSC by keyword; repairable, QPA 1 or 2.
AGGREGATE_NSC = {
    "engine": ("2840", 900000), "Turbofan": ("2840", 3500000), "Turboshaft": ("2840", 900000),
    "Diesel": ("2815", 250000), "radar": ("5840", 1500000), "landing gear": ("1620", 250000),
    "wheels": ("1630", 60000), "sight": ("1240", 300000), "gun": ("1015", 400000), "launcher": ("1440", 900000),
    "rotor": ("1615", 350000), "gearbox": ("1615", 500000), "sonar": ("5845", 1200000),
    "generator": ("6115", 150000), "radio": ("5821", 90000), "seat": ("1680", 180000),
}
#: Inter-change codes of catalog.models.INTERCHANGE_CODES, with the remark each demo link carries.
INTERCHANGE_REMARKS = {
    "one_way": "Superseded by the locally made part (demo)",
    "two_way": "Alternate source, fully interchangeable (demo)",
    "not_interchangeable": "Modification changes fit; not interchangeable (demo)",
    "as_set": "Interchangeable only as a matched set (demo)",
    "qualified": "Interchangeable after first-article approval only (demo)",
    "re_identified": "Re-identified under the operator's codification (demo)",
}

#: Manufacturers: code -> (source, NCB used when codified). Origin enterprises have 8-digit
#: OKPO-style enterprise codes; Indian facilities NCAGE ``#***Y``; Western CAGE/NCAGE by country.
MANUFACTURERS = {
    "origin": ("07501234", "07502871", "14300562", "08627140", "11235813", "05789012", "21345678", "09876543"),
    "local": ("1H7AY", "3J2KY", "4R9MY", "6B1TY", "8N5QY"),
    "western": (("1AB23", "00"), ("3CD47", "01"), ("D2345", "12"), ("F6789", "14"), ("A4321", "15"),
                ("S1234", "31"), ("K9876", "99")),
}
#: Origin-designation prefixes of origin-country parts.
DESIGNATION_PREFIXES = ("AL", "KT", "NR", "BV", "ST", "GP", "ZM", "RP", "UK", "TSh")


# ---- containers --------------------------------------------------------------------------

@dataclass
class Table:
    """Columnar rows of one database table (column name -> sequence of Python values)."""

    name: str
    columns: dict[str, Sequence[Any]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict[str, Any]]:
        stop = len(self) if stop is None else min(stop, len(self))
        cols = {k: _pylist(v[start:stop]) for k, v in self.columns.items()}
        keys = list(cols)
        return [dict(zip(keys, vals)) for vals in zip(*cols.values())]


@dataclass
class DemoData:
    scale: int
    seed: int
    #: In insertion order (parents before children).
    tables: dict[str, Table] = field(default_factory=dict)
    #: Code -> id lookups for later hooks (e.g. users per persona organisation).
    party_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    organisation_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    site_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    #: The demand table as cells (series index, month index, quantity) and the series' part and
    #: site numbers (positions in the part table and in :data:`SITES`).
    demand_cells: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    demand_series: tuple[np.ndarray, np.ndarray] | None = None
    #: Sign-in details of the demo users (filled by the identity hook): dicts of username,
    #: persona, party, organisation, role, and the two-factor key of administrators.
    logins: list[dict[str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {name: len(t) for name, t in self.tables.items()}

    def digest(self) -> str:
        """SHA-256 over every row of every table: equal digests mean identical data sets."""
        import hashlib

        h = hashlib.sha256()
        for name, table in self.tables.items():
            h.update(name.encode())
            for start in range(0, len(table), 50_000):
                h.update(repr(table.rows(start, start + 50_000)).encode())
        return h.hexdigest()

    def demand_dense(self) -> np.ndarray:
        """Demand as a dense ``(series, months)`` array, zeros included."""
        assert self.demand_cells is not None and self.demand_series is not None
        si, mi, q = self.demand_cells
        y = np.zeros((len(self.demand_series[0]), HISTORY_MONTHS))
        y[si, mi] = q
        return y


def _pylist(v: Any) -> list[Any]:
    return v.tolist() if isinstance(v, np.ndarray) else list(v)


def _uuid_bytes(rng: np.random.Generator, n: int) -> bytes:
    """``n`` random version-4 UUIDs as 16-byte big-endian records, in ascending order.

    Ascending ids let every table be written in key order, so that the database appends to its
    B-tree indexes instead of inserting at random places (5x faster on SQLite for large tables)."""
    b = np.frombuffer(rng.bytes(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    b[:, 6] = (b[:, 6] & 0x0F) | 0x40
    b[:, 8] = (b[:, 8] & 0x3F) | 0x80
    order = np.lexsort(b.T[::-1])
    return b[order].tobytes()


def _uuids(rng: np.random.Generator, n: int) -> list[uuid.UUID]:
    raw = _uuid_bytes(rng, n)
    return [uuid.UUID(bytes=raw[i * 16:(i + 1) * 16]) for i in range(n)]


def _months(n: int = HISTORY_MONTHS, start: date = HISTORY_START) -> list[date]:
    return [date(start.year + (start.month - 1 + i) // 12, (start.month - 1 + i) % 12 + 1, 1) for i in range(n)]


def _group_normalise(rng: np.random.Generator, groups: np.ndarray, alpha: float) -> np.ndarray:
    """A Dirichlet(alpha) draw within each group: gamma variates divided by their group sum."""
    g = rng.gamma(alpha, 1.0, size=len(groups))
    sums = np.bincount(groups, weights=g)
    return g / sums[groups]


def _rank_match(rng: np.random.Generator, values: np.ndarray, score: np.ndarray, noise: float) -> np.ndarray:
    """Assign ``values`` to items so that items with a higher ``score`` (plus noise) get larger
    values, preserving the marginal distribution of ``values`` exactly (a rank copula)."""
    z = (score - score.mean()) / (score.std() or 1.0) + noise * rng.standard_normal(len(score))
    out = np.empty_like(values)
    out[np.argsort(z, kind="stable")] = np.sort(values, kind="stable")
    return out


# ---- calibrated demand generator ---------------------------------------------------------

def demand_series_parameters(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per series: months with demand ``k``, mean extra size ``lam`` and NB shape ``r``."""
    k = rng.poisson(DEMAND_MONTHS_POISSON_MEAN, size=n)
    while (bad := k < DEMAND_MONTHS_MIN).any():
        k[bad] = rng.poisson(DEMAND_MONTHS_POISSON_MEAN, size=int(bad.sum()))
    k = np.minimum(k, HISTORY_MONTHS)
    lam = np.exp(rng.normal(SIZE_LOG_MEAN_MU, SIZE_LOG_MEAN_SD, size=n))
    r = np.exp(rng.normal(SIZE_LOG_SHAPE_MU, SIZE_LOG_SHAPE_SD, size=n))
    return k, lam, r


def demand_cells(rng: np.random.Generator, k: np.ndarray, lam: np.ndarray, r: np.ndarray,
                 months: int = HISTORY_MONTHS, chunk: int = 20000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Non-zero demand cells ``(series index, month index, quantity)`` for the given series,
    ``k[i]`` distinct months chosen uniformly, sizes ``1 + NegBin(r, r / (r + lam))``."""
    series, month, qty = [], [], []
    for s in range(0, len(k), chunk):
        kk = k[s:s + chunk]
        u = rng.random((len(kk), months))
        thr = np.sort(u, axis=1)[np.arange(len(kk)), kk - 1]
        i, m = np.nonzero(u <= thr[:, None])
        rr = r[s:s + chunk][i]
        q = 1 + rng.negative_binomial(rr, rr / (rr + lam[s:s + chunk][i]))
        series.append(i + s)
        month.append(m)
        qty.append(q)
    return np.concatenate(series), np.concatenate(month), np.concatenate(qty).astype(float)


def demand_matrix(rng: np.random.Generator, n: int, months: int = HISTORY_MONTHS) -> np.ndarray:
    """``n`` calibrated series as a dense ``(n, months)`` array (tests and benchmarks)."""
    k, lam, r = demand_series_parameters(rng, n)
    i, m, q = demand_cells(rng, k, lam, r, months)
    y = np.zeros((n, months))
    y[i, m] = q
    return y


def intermittency_stats(y: np.ndarray) -> dict[str, Any]:
    """Per-series ADI (months / months with demand), CV^2 of non-zero sizes, share of zero
    months and the distribution of non-zero sizes, over series with at least one demand."""
    y = np.asarray(y, dtype=float)
    nz = y > 0
    k = nz.sum(axis=1)
    keep = k > 0
    y, nz, k = y[keep], nz[keep], k[keep]
    s1 = np.where(nz, y, 0).sum(axis=1)
    s2 = np.where(nz, y * y, 0).sum(axis=1)
    mean = s1 / k
    cv2 = (s2 / k - mean**2) / mean**2
    sizes = y[nz]
    q = (10, 25, 50, 75, 90)
    return {
        "series": int(keep.sum()),
        "zero_share": float(1 - nz.mean()),
        "adi_quantiles": dict(zip(q, np.percentile(y.shape[1] / k, q).round(2).tolist())),
        "cv2_quantiles": dict(zip(q, np.percentile(cv2, q).round(3).tolist())),
        "cv2_mean": float(cv2.mean()),
        "size_quantiles": dict(zip((25, 50, 75, 90, 95, 99), np.percentile(sizes, (25, 50, 75, 90, 95, 99)).tolist())),
        "size_one_share": float((sizes == 1).mean()),
        "lumpy_share": float(((y.shape[1] / k >= 1.32) & (cv2 >= 0.49)).mean()),
    }


# ---- the generator -----------------------------------------------------------------------

def generate(scale: int = 1, seed: int = DEFAULT_SEED) -> DemoData:
    """Build the whole demo data set. Pure and deterministic in ``(scale, seed)``."""
    if not 1 <= scale <= MAX_SCALE:
        raise ValueError(f"scale must be between 1 and {MAX_SCALE}")
    rng = np.random.default_rng([seed, scale])
    data = DemoData(scale=scale, seed=seed)
    T = data.tables

    # parties and organisations
    pid = dict(zip([p[0] for p in PARTIES], _uuids(rng, len(PARTIES))))
    data.party_ids = pid
    T["identity_party"] = Table("identity_party", {
        "id": [pid[p[0]] for p in PARTIES], "code": [p[0] for p in PARTIES], "name": [p[1] for p in PARTIES],
        "role": [p[2] for p in PARTIES], "currency": [p[3] for p in PARTIES]})
    oid = dict(zip([o[0] for o in ORGANISATIONS], _uuids(rng, len(ORGANISATIONS))))
    data.organisation_ids = oid
    T["identity_organisation"] = Table("identity_organisation", {
        "id": [oid[o[0]] for o in ORGANISATIONS], "party_id": [pid[o[1]] for o in ORGANISATIONS],
        "code": [o[0] for o in ORGANISATIONS], "kind": [o[2] for o in ORGANISATIONS],
        "name": [o[3] for o in ORGANISATIONS], "is_demo": [True] * len(ORGANISATIONS)})

    # sites
    sid = dict(zip([s[0] for s in SITES], _uuids(rng, len(SITES))))
    data.site_ids = sid
    T["fleet_site"] = Table("fleet_site", {
        "id": [sid[s[0]] for s in SITES], "code": [s[0] for s in SITES], "name": [s[1] for s in SITES],
        "kind": [s[2] for s in SITES], "organisation_id": [oid[s[3]] for s in SITES],
        "echelon": [s[4] for s in SITES], "parent_id": [sid[s[5]] if s[5] else None for s in SITES]})
    parent_depot = {s[0]: s[5] for s in SITES}

    # equipment types
    tid = _uuids(rng, len(EQUIPMENT))
    T["fleet_equipment_type"] = Table("fleet_equipment_type", {
        "id": tid, "code": [e.code for e in EQUIPMENT], "name": [e.name for e in EQUIPMENT],
        "category": [e.category for e in EQUIPMENT], "origin_party_id": [pid["RUS"]] * len(EQUIPMENT),
        "oem_organisation_id": [oid[e.oem] for e in EQUIPMENT],
        "operating_hours_per_year": [e.hours_per_year for e in EQUIPMENT]})

    # equipment units: units per site by the type's site shares; a realistic status mix
    unit_type, unit_site, unit_serial, unit_status = [], [], [], []
    units_at: dict[tuple[int, str], int] = {}
    statuses = np.array(["operational", "down_maintenance", "down_parts"])
    for t, e in enumerate(EQUIPMENT):
        n = e.units * scale
        codes = list(e.sites)
        counts = np.floor(np.array([e.sites[c] for c in codes]) * n).astype(int)
        counts[0] += n - counts.sum()
        st = statuses[rng.choice(3, size=n, p=np.array(e.status_mix) / sum(e.status_mix))]
        # one story with the stock: the share of units down for parts is what the stock is sized
        # to leave (1 - readiness); the rest keep the type's mix of operational / in maintenance
        n_parts_down = int(round((1.0 - e.readiness) * n))
        st = np.where(st == "down_parts", "down_maintenance", st)
        st[rng.permutation(n)[:n_parts_down]] = "down_parts"
        j = 0
        for c, cnt in zip(codes, counts):
            units_at[(t, c)] = int(cnt)
            for _ in range(cnt):
                unit_type.append(tid[t])
                unit_site.append(sid[c])
                unit_serial.append(f"{e.code.removesuffix('-D')}-{j + 1:05d}")
                unit_status.append(str(st[j]))
                j += 1
    T["fleet_equipment_unit"] = Table("fleet_equipment_unit", {
        "id": _uuids(rng, len(unit_type)), "serial": unit_serial, "equipment_type_id": unit_type,
        "site_id": unit_site, "status": unit_status})

    parts, bom = _parts_and_bom(rng, scale, tid)
    # the party maintaining each catalogue record: origin-country parts the origin party (its OEMs'
    # catalogues), locally made and tender-bought parts the operator party
    parts["owner_party_id"] = [pid["RUS"] if src == "origin" else pid["IND"] for src in parts["_source"].tolist()]
    n_parts = len(parts["name"])
    part_id = _uuids(rng, n_parts)
    T["catalog_part"] = Table("catalog_part", {"id": part_id, **{k: v for k, v in parts.items() if not k.startswith("_")}})
    p_idx, c_idx = bom["parent"], bom["child"]
    T["catalog_bom_line"] = Table("catalog_bom_line", {
        "id": _uuids(rng, len(c_idx)),
        "equipment_type_id": [tid[t] for t in bom["type"]],
        "parent_part_id": [part_id[p] if p >= 0 else None for p in p_idx.tolist()],
        "child_part_id": [part_id[c] for c in c_idx.tolist()],
        "quantity_per_assembly": bom["qpa"], "failure_share": bom["share"], "level": bom["level"]})

    T["catalog_interchange"] = _interchange(rng, parts, part_id)

    demand, stock, cells, series = _demand_and_stock(rng, parts, bom, part_id, sid, parent_depot, units_at)
    data.demand_cells, data.demand_series = cells, series
    T["demand_record"] = demand
    T["fleet_stock_position"] = stock
    return data


def _parts_and_bom(rng: np.random.Generator, scale: int, tid: list[uuid.UUID]) -> tuple[dict, dict]:
    """The parts catalogue and the multi-level bills of material (3 indenture levels).

    Per equipment type: aggregates (level 1, ~5 % of its parts) directly under the equipment,
    components (level 2, ~25 %) under aggregates, piece parts (level 3) under components; plus a
    pool of common hardware (~4 % of all parts) fitted under components of several types.
    """
    total = BASE_PARTS * scale
    n_common = int(round(0.04 * total))
    shares = np.array([e.part_share for e in EQUIPMENT])
    per_type = np.floor(shares / shares.sum() * (total - n_common)).astype(int)
    per_type[int(np.argmax(per_type))] += total - n_common - per_type.sum()

    def pick(names: tuple[str, ...], size: int) -> list[str]:
        w = np.array([LEAF_WEIGHTS.get(x, 1) for x in names], dtype=float)
        return [names[i] for i in rng.choice(len(names), size=size, p=w / w.sum())]

    # part attribute columns (indices into class tables first, values later)
    cls_name: list[str] = []
    level: list[int] = []
    owner: list[int] = []  # equipment type index, -1 for common hardware
    b_type, b_parent, b_child, b_level = [], [], [], []
    for t, e in enumerate(EQUIPMENT):
        n = int(per_type[t])
        n_agg = max(len(e.aggregates) // 2, int(round(0.05 * n)))
        n_comp = max(n_agg, int(round(0.25 * n)))
        n_leaf = n - n_agg - n_comp
        base = len(cls_name)
        # level 1: the type's aggregates (variants "Mk 2", ... when the catalogue is scaled up)
        for a in range(n_agg):
            nm = e.aggregates[a % len(e.aggregates)]
            cls_name.append(nm if a < len(e.aggregates) else f"{nm} Mk {a // len(e.aggregates) + 1}")
        level += [1] * n_agg
        agg = np.arange(base, base + n_agg)
        b_type += [t] * n_agg
        b_parent.append(np.full(n_agg, -1))
        b_child.append(agg)
        b_level += [1] * n_agg
        # level 2: components, each under one aggregate (every aggregate gets at least one)
        comp = np.arange(base + n_agg, base + n_agg + n_comp)
        comp_parent = np.concatenate([agg, rng.choice(agg, size=n_comp - n_agg)])
        rng.shuffle(comp_parent)
        agg_flavour = np.array([_aggregate_flavour(cls_name[a]) for a in agg.tolist()])
        comp_flavour = agg_flavour[comp_parent - base]
        comp_cls = np.empty(n_comp, dtype=object)
        for fl, names in COMPONENTS_BY_FLAVOUR.items():
            m = comp_flavour == fl
            comp_cls[m] = [names[i] for i in rng.integers(0, len(names), size=int(m.sum()))]
        cls_name += comp_cls.tolist()
        level += [2] * n_comp
        b_type += [t] * n_comp
        b_parent.append(comp_parent)
        b_child.append(comp)
        b_level += [2] * n_comp
        # level 3: piece parts, each under one component
        leaf = np.arange(base + n_agg + n_comp, base + n)
        leaf_parent = rng.choice(comp, size=n_leaf)
        leaf_flavour = np.array([_component_flavour(c) for c in comp_cls.tolist()])[leaf_parent - comp[0]]
        leaf_cls = np.empty(n_leaf, dtype=object)
        for fl, names in LEAVES_BY_FLAVOUR.items():
            m = leaf_flavour == fl
            leaf_cls[m] = pick(names, int(m.sum()))
        cls_name += leaf_cls.tolist()
        level += [3] * n_leaf
        b_type += [t] * n_leaf
        b_parent.append(leaf_parent)
        b_child.append(leaf)
        b_level += [3] * n_leaf
        owner += [t] * n
    # common hardware: each fitted under 2-5 components of different types
    common_cls = ["Bolt", "Self-locking nut", "Washer", "O-ring seal", "Fuse", "Connector", "Rivet", "Sealing compound"]
    comp_all = np.array([i for i, lv in enumerate(level) if lv == 2])
    comp_owner = np.array(owner)[comp_all]
    base = len(cls_name)
    for j in range(n_common):
        cls_name.append(common_cls[j % len(common_cls)])
        level.append(3)
        owner.append(-1)
        fits = rng.integers(2, 6)
        types = rng.choice(len(EQUIPMENT), size=min(fits, len(EQUIPMENT)), replace=False)
        for t in types:
            cands = comp_all[comp_owner == t]
            b_type.append(int(t))
            b_parent.append(np.array([rng.choice(cands)]))
            b_child.append(np.array([base + j]))
            b_level.append(3)
    n = len(cls_name)
    b_type_a = np.array(b_type)
    b_parent_a = np.concatenate(b_parent)
    b_child_a = np.concatenate(b_child)
    # indenture levels as the product derives them from the structure (setu.engine.bom, the same
    # derivation as the catalog's); equal to the levels the construction above assigns
    b_level_a = bom_levels(b_type_a, b_parent_a, b_child_a)
    assert np.array_equal(b_level_a, np.array(b_level))
    level_a = np.array(level)
    owner_a = np.array(owner)

    # class attributes
    def attrs(name: str, lv: int) -> tuple:
        if lv == 1:
            nsc, usd = "1680", 120000
            for kw, (c, p) in AGGREGATE_NSC.items():
                if kw.lower() in name.lower():
                    nsc, usd = c, p
                    break
            return ("repairable", usd, nsc, "EA", 0, 2)
        return COMPONENT_CLASSES[name] if lv == 2 else LEAF_CLASSES[name]

    info = [attrs(nm, lv) for nm, lv in zip(cls_name, level)]
    kind = np.array([i[0] for i in info])
    usd_median = np.array([i[1] for i in info], dtype=float)
    nsc = [i[2] for i in info]
    uoi = [i[3] for i in info]
    shelf = np.array([i[4] for i in info])
    qmax = np.array([i[5] for i in info])
    repairable = kind == "repairable"

    # source: origin-country OEMs, local (licensed/JV) makers, western tender suppliers
    local_p = np.array([EQUIPMENT[t].local_share if t >= 0 else 0.5 for t in owner_a])
    local_p = np.where(level_a == 1, local_p * 0.3, np.where(level_a == 2, local_p * 0.6, local_p))
    u = rng.random(n)
    western = u < 0.08
    local = ~western & (u < 0.08 + local_p * 0.92)
    source = np.where(western, "western", np.where(local, "local", "origin"))
    m_origin = rng.integers(0, len(MANUFACTURERS["origin"]), size=n)
    m_local = rng.integers(0, len(MANUFACTURERS["local"]), size=n)
    m_west = rng.integers(0, len(MANUFACTURERS["western"]), size=n)
    mfr = [MANUFACTURERS["origin"][m_origin[i]] if s == "origin" else MANUFACTURERS["local"][m_local[i]]
           if s == "local" else MANUFACTURERS["western"][m_west[i]][0] for i, s in enumerate(source)]

    # part numbers: unique per manufacturer by construction (a running number per part)
    serial = np.arange(n) * 7919 % 1000003 + 100000  # spread-out, unique (7919 is prime, < 1000003)
    suffix = rng.integers(1, 40, size=n)
    pn = []
    for i, s in enumerate(source):
        if s == "origin":
            pn.append(f"{serial[i] // 1000:04d}.{serial[i] % 1000:03d}.{level[i]}{suffix[i]:02d}")
        elif s == "local":
            pn.append(f"IN{level[i]}-{serial[i]:07d}-{suffix[i]:02d}")
        else:
            pn.append(f"{serial[i]:07d}-{suffix[i]}")

    # NSN: ~20 % of origin parts codified by the operator's bureau (NCB 72), ~70 % of local parts
    # (NCB 72), ~90 % of western parts (their own bureau); ~1/3 of all parts overall
    u = rng.random(n)
    has_nsn = np.where(source == "origin", u < 0.20, np.where(source == "local", u < 0.70, u < 0.90))
    niin_serial = (np.arange(n, dtype=np.int64) * 3_718_259 + 1_234_567) % 10_000_000  # bijective mod 1e7
    nsn: list[str | None] = []
    for i in range(n):
        if not has_nsn[i]:
            nsn.append(None)
            continue
        ncb = MANUFACTURERS["western"][m_west[i]][1] if source[i] == "western" else "72"
        s7 = f"{niin_serial[i]:07d}"
        nsn.append(f"{nsc[i]}-{ncb}-{s7[:3]}-{s7[3:]}")
    # origin designation: on origin parts (and on local parts made to origin drawings)
    pref = rng.integers(0, len(DESIGNATION_PREFIXES), size=n)
    desig_num = rng.integers(100, 9999, size=n)
    has_desig = (source == "origin") | ((source == "local") & (rng.random(n) < 0.6))
    desig = [f"{DESIGNATION_PREFIXES[pref[i]]}-{desig_num[i]}{'M' if desig_num[i] % 3 == 0 else ''}"
             if has_desig[i] else None for i in range(n)]

    # prices: lognormal around the class median, in the supplier's currency
    usd = usd_median * np.exp(rng.normal(0.0, 0.45, size=n))
    usd *= np.where(source == "local", 0.7, np.where(source == "western", 1.3, 1.0))  # local cheaper
    currency = np.where(source == "origin", "RUB", np.where(source == "local", "INR", "USD"))
    rate = np.array([USD_RATE[c] for c in currency])
    price = [Decimal(f"{v:.2f}") for v in np.maximum(usd * rate, 0.01)]

    # logistics: lead times (origin up to 18 months), repair turnaround, condemnation, shelf life
    lt = np.where(source == "origin", rng.integers(180, 541, size=n),
                  np.where(source == "local", rng.integers(45, 241, size=n), rng.integers(90, 301, size=n)))
    # depot repair turnaround: origin-country repair 60-180 days, local and tender repair 30-120
    tat = np.where(source == "origin", rng.integers(60, 181, size=n), rng.integers(30, 121, size=n))
    repair_tat = [int(tat[i]) if repairable[i] else None for i in range(n)]
    cond = np.where(repairable, np.round(rng.beta(2, 18, size=n), 3), 1.0)
    shelf_life = [int(shelf[i]) if shelf[i] else None for i in range(n)]

    # quantities per assembly: aggregates 1 (twin engines, main gear and wheels 2), else up to the class max
    qm = qmax[b_child_a]
    lv = b_level_a
    twin = np.array([cls_name[c].split(" Mk ")[0] in TWIN_AGGREGATES for c in b_child_a.tolist()])
    qpa = np.where(lv == 1, np.where(twin, 2.0, 1.0),
                   np.ceil(qm * rng.beta(1.2, 3.0, size=len(qm))).clip(1, None))

    # failure shares: within each parent (the equipment type itself for level 1), a Dirichlet
    # draw scaled by the share of the parent's failures that need a part at all (the rest is
    # adjusted or found no-fault); shares of siblings therefore sum to 0.75..0.95
    grp_key = np.where(b_parent_a >= 0, b_parent_a + len(EQUIPMENT), b_type_a)
    _, grp = np.unique(grp_key, return_inverse=True)
    cover = rng.uniform(0.75, 0.95, size=grp.max() + 1)[grp]
    share = np.round(_group_normalise(rng, grp, 0.8) * cover, 6)

    # reliability: MTBF of a part from its place in the bill of material (first use)
    mtbf = np.full(n, np.nan)
    eq_rate = np.array([1.0 / e.mtbf_hours for e in EQUIPMENT])
    rate_of = np.zeros(n)
    for lvl in (1, 2, 3):
        m = b_level_a == lvl
        parent_rate = np.where(b_parent_a[m] >= 0, rate_of[np.maximum(b_parent_a[m], 0)], eq_rate[b_type_a[m]])
        child_rate = parent_rate * share[m] / qpa[m]
        first = np.isnan(mtbf[b_child_a[m]])
        ch = b_child_a[m][first]
        rate_of[ch] = child_rate[first]
        mtbf[ch] = 1.0 / np.maximum(child_rate[first], 1e-9)
    mtbf_hours = [float(round(v, 1)) if (repairable[i] and np.isfinite(v)) else None for i, v in enumerate(mtbf)]

    type_short = [e.code.removesuffix("-D") for e in EQUIPMENT]
    names = [f"{nm}, {type_short[o]}" if o >= 0 else f"{nm}, common hardware" for nm, o in zip(cls_name, owner)]
    parts = {
        "manufacturer_code": mfr, "part_number": pn, "nsn": nsn, "origin_designation": desig, "name": names,
        "unit_of_issue": uoi, "unit_price": price, "currency": currency.tolist(), "kind": kind.tolist(),
        "condemnation_rate": cond.astype(float).tolist(), "repair_turnaround_days": repair_tat,
        "procurement_lead_time_days": lt.astype(int).tolist(), "shelf_life_months": shelf_life,
        "mtbf_hours": mtbf_hours,
        "_level": level_a, "_owner": owner_a, "_source": source, "_class": cls_name,
    }
    o = np.lexsort((b_child_a, b_parent_a, b_type_a))  # key order (see _uuid_bytes)
    bom = {"type": b_type_a[o].tolist(), "parent": b_parent_a[o], "child": b_child_a[o],
           "level": b_level_a[o].tolist(), "qpa": qpa[o].astype(float).tolist(),
           "share": share[o].astype(float).tolist(), "_qpa": qpa[o]}
    return parts, bom


def _interchange(rng: np.random.Generator, parts: dict, part_id: list[uuid.UUID]) -> Table:
    """Links between parts of the same class and equipment: ~2 % of parts, every code present."""
    cls = np.array(parts["_class"])
    owner = parts["_owner"]
    source = parts["_source"]
    n = len(cls)
    n_links = max(len(INTERCHANGE_REMARKS) * 3, int(0.02 * n))
    codes = list(INTERCHANGE_REMARKS)
    order = rng.permutation(n)
    by_key: dict[tuple[str, int], list[int]] = {}
    for i in order.tolist():
        by_key.setdefault((cls[i], int(owner[i])), []).append(i)
    pairs: list[tuple[int, int]] = []
    used: set[int] = set()
    for members in by_key.values():
        free = [m for m in members if m not in used]
        while len(free) >= 2 and len(pairs) < n_links:
            a, b = free.pop(), free.pop()
            if source[a] == "local" and source[b] != "local":  # the local part replaces, not the reverse
                a, b = b, a
            used.update((a, b))
            pairs.append((a, b))
        if len(pairs) >= n_links:
            break
    months = _months()
    code = [codes[i % len(codes)] for i in range(len(pairs))]
    # as-set links come in pairs sharing a set code (two parts that change over only together)
    as_set_no = np.cumsum([c == "as_set" for c in code]) - 1
    set_code = [f"SET-{as_set_no[i] // 2 + 1:04d}" if c == "as_set" else None for i, c in enumerate(code)]
    eff = rng.integers(0, len(months), size=len(pairs))
    return Table("catalog_interchange", {
        "id": _uuids(rng, len(pairs)),
        "replaced_part_id": [part_id[a] for a, _ in pairs], "replacing_part_id": [part_id[b] for _, b in pairs],
        "code": code, "set_code": set_code, "effective_date": [months[e] for e in eff.tolist()],
        "remarks": [INTERCHANGE_REMARKS[c] for c in code]})


def _demand_and_stock(rng: np.random.Generator, parts: dict, bom: dict, part_id: list[uuid.UUID],
                      sid: dict[str, uuid.UUID], parent_depot: dict[str, str | None],
                      units_at: dict[tuple[int, str], int]) -> tuple[Table, Table, tuple, tuple]:
    n = len(parts["_level"])
    level = parts["_level"]
    # equipment types using each part (common hardware: several)
    uses: list[set[int]] = [set() for _ in range(n)]
    for t, c in zip(bom["type"], bom["child"].tolist()):
        uses[c].add(t)
    max_qpa = np.zeros(n)
    np.maximum.at(max_qpa, bom["child"], bom["_qpa"])
    has_history = rng.random(n) < np.where(level == 1, 0.6, np.where(level == 2, 0.7, 0.72))
    n_sites_draw = 1 + rng.binomial(3, 0.3, size=n)  # 1..4 bases, mean ~1.9
    depot_too = rng.random(n) < np.where(level == 3, 0.0, 0.35)
    site_codes = [x[0] for x in SITES]
    site_no = {c: i for i, c in enumerate(site_codes)}
    depot_no = np.array([site_no[parent_depot[c]] if parent_depot[c] else -1 for c in site_codes])
    # parts grouped by the set of equipment types using them; within a group, weighted sampling
    # of sites without replacement (weight = units there) by Efraimidis-Spirakis keys log(u)/w
    groups: dict[tuple[int, ...], list[int]] = {}
    for p in np.nonzero(has_history)[0].tolist():
        groups.setdefault(tuple(sorted(uses[p])), []).append(p)
    sp_l, ss_l, su_l = [], [], []
    for key in sorted(groups):
        P = np.array(groups[key])
        cand: dict[int, int] = {}
        for (t, site), cnt in units_at.items():
            if t in key and cnt > 0:
                cand[site_no[site]] = cand.get(site_no[site], 0) + cnt
        if not cand:
            continue
        cs = np.array(sorted(cand))
        w = np.array([cand[c] for c in cs], dtype=float)
        keys = np.log(rng.random((len(P), len(cs)))) / w
        order = np.argsort(-keys, axis=1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(len(cs))[None, :].repeat(len(P), 0), axis=1)
        pi, ci = np.nonzero(rank < np.minimum(n_sites_draw[P], len(cs))[:, None])
        sp_l += [P[pi], P[depot_too[P]]]
        ss_l += [cs[ci], depot_no[cs[order[depot_too[P], 0]]]]
        su_l += [w[ci], w[order[depot_too[P], 0]]]
    sp = np.concatenate(sp_l).astype(np.int64)
    ss = np.concatenate(ss_l).astype(np.int64)
    su = np.concatenate(su_l)
    order = np.lexsort((ss, sp))  # key order: ids ascend with part and site numbers
    sp, ss, su = sp[order], ss[order], su[order]
    S = len(sp)
    k, lam, r = demand_series_parameters(rng, S)
    # realism by rank copula (marginals stay calibrated): more units -> more frequent demand;
    # piece parts fitted many times -> larger demand sizes; costly repairables -> small sizes
    k = _rank_match(rng, k, np.log(su), noise=1.5)
    kind = np.array(parts["kind"])
    size_score = np.log(max_qpa[sp]) + np.where(level[sp] == 3, 1.0, np.where(level[sp] == 2, -0.5, -1.5)) \
        + np.where(kind[sp] == "consumable", 1.0, 0.0)
    lam = _rank_match(rng, lam, size_score, noise=1.0)
    si, mi, q = demand_cells(rng, k, lam, r)  # ordered by series, then month
    months = _months()
    site_ids = [sid[c] for c in site_codes]
    demand = Table("demand_record", {
        "id": _LazyUuids(rng, len(si)),
        "part_id": _Gather(part_id, sp[si]),
        "site_id": _Gather(site_ids, ss[si]),
        "period": _Gather(months, mi),
        "quantity": q,
    })

    # stock positions: every demand series' site, plus the parent depot of the bases
    mean_monthly = np.bincount(si, weights=q, minlength=S) / HISTORY_MONTHS
    lead_months = np.array(parts["procurement_lead_time_days"])[sp] / 30.4
    rep = kind[sp] == "repairable"
    target = mean_monthly * np.where(rep, 3.0, np.minimum(lead_months, 6.0))
    serviceable = rng.poisson(np.maximum(target, 0.2))
    unserviceable = np.where(rep, rng.poisson(0.3 + 0.2 * mean_monthly), 0)
    in_repair = np.where(rep, rng.poisson(0.5 + 0.5 * mean_monthly), 0)
    on_order = np.where(rng.random(S) < 0.3, rng.poisson(np.maximum(mean_monthly * 2, 1)), 0)
    have = set(zip(sp.tolist(), ss.tolist()))
    extra = sorted({(p, int(depot_no[s])) for p, s in zip(sp.tolist(), ss.tolist())
                    if depot_no[s] >= 0 and (p, int(depot_no[s])) not in have})
    E = len(extra)
    all_p = np.concatenate([sp, np.array([e[0] for e in extra], dtype=np.int64)])
    all_s = np.concatenate([ss, np.array([e[1] for e in extra], dtype=np.int64)])
    cols = {
        "serviceable": np.concatenate([serviceable, rng.poisson(2.0, size=E)]),
        "unserviceable": np.concatenate([unserviceable, np.zeros(E, dtype=int)]),
        "in_repair": np.concatenate([in_repair, np.zeros(E, dtype=int)]),
        "on_order": np.concatenate([on_order, np.where(rng.random(E) < 0.2, rng.poisson(3.0, size=E), 0)]),
    }
    # readiness-relevant positions (LRUs at the bases, every part of a bill at the depots) sized
    # from the expected pipeline: they replace the rows above where both exist
    srng = np.random.default_rng(rng.integers(0, 2**63))
    _mtbf_from_history(parts, bom, units_at, (sp, ss), (si, mi, q))
    rp, rs, rx = readiness_spares(srng, parts, bom, units_at, (sp, ss), (si, mi, q))
    ns = len(site_codes)
    key_old = all_p * ns + all_s
    key_new = rp * ns + rs
    add = ~np.isin(key_new, key_old)
    all_p = np.concatenate([all_p, rp[add]])
    all_s = np.concatenate([all_s, rs[add]])
    cols = {c: np.concatenate([v, np.zeros(int(add.sum()), dtype=v.dtype)]) for c, v in cols.items()}
    keys = all_p * ns + all_s
    ko = np.argsort(keys, kind="stable")
    at = ko[np.searchsorted(keys[ko], key_new)]
    for c, v in _split_spares(srng, rx, kind[rp] == "repairable").items():
        cols[c][at] = v
    order = np.lexsort((all_s, all_p))
    stock = Table("fleet_stock_position", {
        "id": _uuids(rng, len(all_p)),
        "part_id": _Gather(part_id, all_p[order]),
        "site_id": _Gather(site_ids, all_s[order]),
        **{c: v[order].astype(int) for c, v in cols.items()},
    })
    return demand, stock, (si, mi, q), (sp, ss)


# ---- one story: reliability data that agree with the recorded demand ---------------------------

def _mtbf_from_history(parts: dict, bom: dict, units_at: dict[tuple[int, str], int],
                       series: tuple[np.ndarray, np.ndarray], cells: tuple[np.ndarray, np.ndarray, np.ndarray]
                       ) -> None:
    """Set the MTBF of every repairable LRU with demand history at the bases from that history,
    so that the reliability model (units x Z x hours / MTBF; Sherbrooke 2004, §2.2) predicts the
    removals the records show: MTBF = sum over its bases of units x Z x hours a year / removals a
    year there (whole history). Readiness then tells the same story from history, from a forecast
    run (whose reliability prior no longer conflicts with the data) and from reliability.
    Changes ``parts["mtbf_hours"]`` in place."""
    sp, ss = series
    si, _mi, q = cells
    level = parts["_level"]
    kind = np.array(parts["kind"])
    per_series = np.bincount(si, weights=q, minlength=len(sp)) * 12.0 / HISTORY_MONTHS
    site_codes = [x[0] for x in SITES]
    b_type = np.asarray(bom["type"])
    b_level = np.asarray(bom["level"])
    b_child = bom["child"]
    z_of: dict[int, tuple[int, float]] = {}
    for t, c, qpa in zip(b_type[b_level == 1].tolist(), b_child[b_level == 1].tolist(),
                         bom["_qpa"][b_level == 1].tolist()):
        z_of.setdefault(c, (t, float(case_inputs.lru_quantity(qpa))))
    hours_sum: dict[int, float] = {}
    rate_sum: dict[int, float] = {}
    for x in np.flatnonzero(level[sp] == 1).tolist():
        p = int(sp[x])
        if p not in z_of or kind[p] != "repairable":
            continue
        t, z = z_of[p]
        units = units_at.get((t, site_codes[int(ss[x])]), 0)
        if units <= 0:
            continue  # the depot's series: not where the units operate
        hours_sum[p] = hours_sum.get(p, 0.0) + units * z * EQUIPMENT[t].hours_per_year
        rate_sum[p] = rate_sum.get(p, 0.0) + float(per_series[x])
    for p, h in hours_sum.items():
        if rate_sum[p] > 0:
            parts["mtbf_hours"][p] = float(round(h / rate_sum[p], 1))


# ---- stock positions sized for readiness --------------------------------------------------

#: Order-and-ship time base <- depot and the readiness history window: the readiness case
#: inputs' constants (setu.engine.readiness.inputs), shared with the readiness service.
ORDER_SHIP_YEARS = case_inputs.ORDER_SHIP_DAYS / case_inputs.DAYS_PER_YEAR
READINESS_HISTORY_MONTHS = case_inputs.HISTORY_MONTHS


def _quantile(mean: np.ndarray, var: np.ndarray, fill: np.ndarray) -> np.ndarray:
    """Smallest s with Pr{X <= s} >= fill for a Poisson (var = mean) or negative-binomial X."""
    from scipy import stats

    mean = np.asarray(mean, dtype=float)
    v = np.maximum(var, mean) / np.where(mean > 0, mean, 1.0)
    out = np.zeros(mean.shape, dtype=np.int64)
    pois = (mean > 0) & (v < 1.0 + 1e-9)
    nb = (mean > 0) & ~pois
    if pois.any():
        out[pois] = stats.poisson.ppf(fill[pois], mean[pois])
    if nb.any():
        out[nb] = stats.nbinom.ppf(fill[nb], mean[nb] / (v[nb] - 1.0), 1.0 / v[nb])
    return np.maximum(out, 0)


def _base_levels(rng: np.random.Generator, mean: np.ndarray, var: np.ndarray, z: np.ndarray, n_units: int,
                 target: float) -> np.ndarray:
    """Stock per LRU at one base such that prod_i (1 - EBO_i / (N Z_i))^Z_i just reaches ``target``:
    units go, one at a time, to the LRU whose availability gain (times a per-item noise: real stock
    is not optimal) is largest; the availability counted is the true one."""
    from setu.engine.readiness.distributions import backorder_curves

    n = len(mean)
    if n == 0 or n_units <= 0:
        return np.zeros(n, dtype=np.int64)
    smax = np.ceil(mean + 6.0 * np.sqrt(var) + 3.0).astype(np.int64)
    pos = n_units * z
    noise = np.exp(rng.normal(0.0, 0.7, size=n))
    log_a0 = 0.0
    row_l, gain_l, key_l = [], [], []
    order = np.argsort(smax, kind="stable")
    for c in range(0, n, 512):  # chunks of similar length bound the curve arrays
        rows = order[c:c + 512]
        k = int(smax[rows].max())
        ebo, _ = backorder_curves(mean[rows], var[rows], k, with_var=False)
        la = z[rows, None] * np.log(np.clip(1.0 - ebo / pos[rows, None], 1e-300, 1.0))
        log_a0 += float(la[:, 0].sum())
        g = np.diff(la, axis=1)
        valid = np.arange(k)[None, :] < smax[rows, None]
        r_idx, _s = np.nonzero(valid)
        row_l.append(rows[r_idx])
        gain_l.append(g[valid])
        key_l.append((g * noise[rows, None])[valid])
    rows_all, gains, keys = np.concatenate(row_l), np.concatenate(gain_l), np.concatenate(key_l)
    need = np.log(target) - log_a0
    if need <= 0:
        return np.zeros(n, dtype=np.int64)
    o = np.argsort(-keys, kind="stable")
    reached = np.cumsum(gains[o]) >= need
    take = int(np.argmax(reached)) + 1 if reached.any() else len(o)
    return np.bincount(rows_all[o[:take]], minlength=n).astype(np.int64)


def readiness_spares(rng: np.random.Generator, parts: dict, bom: dict, units_at: dict[tuple[int, str], int],
                     series: tuple[np.ndarray, np.ndarray], cells: tuple[np.ndarray, np.ndarray, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Spares (stock + pipeline, as the readiness service counts them) per (part, site number):
    LRUs at each base of their equipment type, every part of a bill of material at the bases'
    depots. Returns (part, site, spares) arrays, one row per pair, ordered by (part, site).

    The demand is what :mod:`setu.readiness.service` derives from the data set: per (LRU, base)
    the mean of the last 24 months of demand history where the pair has history, else units x Z x
    operating hours / MTBF; SRU rates flow down the bill by failure share; depot turnaround
    (1 - c) x repair + c x lead time. Depot stock covers each item's depot pipeline (SRU backorders
    included) to a random fill rate (SRUs 70-98 %, LRUs 30-90 %, the LRUs' scaled down by a common
    factor where the depot alone would already lift a base above the type's readiness); base
    stock is then added, LRU by LRU, until each base of the type reaches its
    :attr:`EquipmentSpec.readiness` (a METRIC-style estimate with the service's VARI-METRIC
    variance terms; the service's evaluation lands within a few points of it).
    """
    from setu.engine.readiness.distributions import backorders_at

    n = len(parts["_level"])
    kind = np.array(parts["kind"])
    rep = kind == "repairable"
    cond = np.where(rep, np.array(parts["condemnation_rate"], dtype=float), 1.0)
    tat = np.array([case_inputs.DEFAULT_REPAIR_DAYS if t is None else float(t) for t in parts["repair_turnaround_days"]])
    lead = np.array(parts["procurement_lead_time_days"], dtype=float)
    t0 = case_inputs.depot_turnaround_years(cond, tat, lead)
    mtbf = np.array([np.nan if m is None else float(m) for m in parts["mtbf_hours"]])
    sp, ss = series
    si, mi, q = cells
    w = mi >= HISTORY_MONTHS - READINESS_HISTORY_MONTHS
    s1 = np.bincount(si[w], weights=q[w], minlength=len(sp))
    s2 = np.bincount(si[w], weights=q[w] ** 2, minlength=len(sp))
    mean_m, vmr_m = case_inputs.history_rate(s1, s2, READINESS_HISTORY_MONTHS)
    vmr_m = np.maximum(1.0, vmr_m)
    # as the readiness service: a pair without a record inside the window goes by reliability
    in_window = np.bincount(si[w], minlength=len(sp)) > 0
    lru_series = np.flatnonzero((parts["_level"][sp] == 1) & in_window)
    hist = {(int(sp[x]), int(ss[x])): (12.0 * mean_m[x], vmr_m[x]) for x in lru_series.tolist()}
    site_codes = [x[0] for x in SITES]
    site_no = {c: i for i, c in enumerate(site_codes)}
    parent_depot = {x[0]: x[5] for x in SITES}
    b_type = np.asarray(bom["type"])
    b_parent, b_child = bom["parent"], bom["child"]
    b_level = np.asarray(bom["level"])
    b_share = np.asarray(bom["share"], dtype=float)
    b_qpa = bom["_qpa"]
    out_p, out_s, out_x = [], [], []
    for t, e in enumerate(EQUIPMENT):
        groups: dict[str, list[tuple[str, int]]] = {}
        for c in e.sites:
            if units_at.get((t, c), 0) > 0:
                groups.setdefault(parent_depot[c], []).append((c, units_at[(t, c)]))
        mt = b_type == t
        lru = b_child[mt & (b_level == 1)]
        z = case_inputs.lru_quantity(b_qpa[mt & (b_level == 1)])
        for depot in sorted(groups):
            bases = groups[depot]
            # LRU rates per base (history, else reliability), and the item's variance-to-mean
            rate = np.zeros((len(lru), len(bases)))
            vmr = np.ones((len(lru), len(bases)))
            for j, (c, units) in enumerate(bases):
                sn = site_no[c]
                for i, p in enumerate(lru.tolist()):
                    if (p, sn) in hist:
                        rate[i, j], vmr[i, j] = hist[(p, sn)]
                    elif np.isfinite(mtbf[p]) and mtbf[p] > 0:
                        rate[i, j] = case_inputs.reliability_rate(units, z[i], e.hours_per_year, mtbf[p])
            m0 = rate.sum(1)
            v_lru = np.maximum(1.0, np.where(m0 > 0, (rate * vmr).sum(1) / np.where(m0 > 0, m0, 1.0), 1.0))
            # SRU depot rates down the bill, then depot stock bottom-up (SRU backorders delay repairs)
            dep_rate = np.zeros(n)
            dep_rate[lru] = m0
            lines = {}
            for lv in (2, 3):
                m = mt & (b_level == lv) & (b_share > 0)
                ch, par = b_child[m], b_parent[m]
                dep_rate[ch] = b_share[m] * dep_rate[par]
                lines[lv] = (ch, par)
            add_mean, add_var = np.zeros(n), np.zeros(n)
            dep_stock = np.zeros(n, dtype=np.int64)
            for lv in (3, 2):
                ch, par = lines[lv]
                local = dep_rate[ch] * t0[ch]
                mean, var = local + add_mean[ch], local + add_var[ch]
                dep_stock[ch] = _quantile(mean, var, rng.uniform(0.70, 0.98, size=len(ch)))
                ebo, vbo = backorders_at(mean, var, dep_stock[ch])
                np.add.at(add_mean, par, ebo)
                np.add.at(add_var, par, vbo)
            local = m0 * t0[lru]
            mean0, var0 = local + add_mean[lru], v_lru * local + add_var[lru]
            full = _quantile(mean0, var0, rng.uniform(0.30, 0.90, size=len(lru)))
            f_all = np.where(m0[:, None] > 0, rate / np.where(m0 > 0, m0, 1.0)[:, None], 0.0)
            units_b = np.array([u for _c, u in bases], dtype=float)

            def bare(alpha: float) -> float:
                """Best availability over the bases with no base stock, depot stock x alpha."""
                ebo, _v = backorders_at(mean0, var0, np.floor(alpha * full).astype(np.int64))
                pipe = rate * ORDER_SHIP_YEARS + f_all * ebo[:, None]
                la = (z[:, None] * np.log(np.clip(1.0 - pipe / (units_b[None, :] * z[:, None]), 1e-300, 1.0))).sum(0)
                return float(np.exp(la).max())

            # a well-stocked depot alone may already exceed the type's readiness: scale it down
            # (bisection on a common factor) so that the bases' own stock decides
            alpha = 1.0
            if bare(1.0) > e.readiness:
                lo, hi = 0.0, 1.0
                for _ in range(12):
                    mid = 0.5 * (lo + hi)
                    lo, hi = (mid, hi) if bare(mid) <= e.readiness else (lo, mid)
                alpha = lo
            dep_stock[lru] = np.floor(alpha * full).astype(np.int64)
            ebo0, vbo0 = backorders_at(mean0, var0, dep_stock[lru])
            used = np.unique(np.concatenate([lru, lines[2][0], lines[3][0]]))
            out_p.append(used)
            out_s.append(np.full(len(used), site_no[depot]))
            out_x.append(dep_stock[used])
            # base stock up to the type's readiness, base by base
            for j, (c, units) in enumerate(bases):
                f = np.where(m0 > 0, rate[:, j] / np.where(m0 > 0, m0, 1.0), 0.0)
                mean = rate[:, j] * ORDER_SHIP_YEARS + f * ebo0
                var = v_lru * rate[:, j] * ORDER_SHIP_YEARS + v_lru * f * (1.0 - f) * ebo0 + f * f * vbo0
                out_p.append(lru)
                out_s.append(np.full(len(lru), site_no[c]))
                out_x.append(_base_levels(rng, mean, var, z.astype(float), units, e.readiness))
    P, Sn, X = np.concatenate(out_p), np.concatenate(out_s), np.concatenate(out_x)
    key = P * len(SITES) + Sn  # common hardware: one position per (part, depot), summed over types
    uk, inv = np.unique(key, return_inverse=True)
    return uk // len(SITES), uk % len(SITES), np.bincount(inv, weights=X).astype(np.int64)


def _split_spares(rng: np.random.Generator, x: np.ndarray, repairable: np.ndarray) -> dict[str, np.ndarray]:
    """Split spares into serviceable / unserviceable / in repair / on order (consumables: no
    unserviceable or in-repair stock: a failed consumable is condemned)."""
    on_order = rng.binomial(x, np.where(repairable, 0.10, 0.15))
    rest = x - on_order
    in_repair = np.where(repairable, rng.binomial(rest, 0.20), 0)
    rest = rest - in_repair
    unserviceable = np.where(repairable, rng.binomial(rest, 0.08), 0)
    return {"serviceable": rest - unserviceable, "unserviceable": unserviceable, "in_repair": in_repair,
            "on_order": on_order}


class _Gather:
    """``values[index[i]]`` without materialising the whole column (large demand tables)."""

    def __init__(self, values: Sequence[Any], index: np.ndarray):
        self.values, self.index = values, index

    def __len__(self) -> int:
        return len(self.index)

    def __getitem__(self, sl: slice) -> list[Any]:
        v = self.values
        return [v[i] for i in self.index[sl].tolist()]


class _LazyUuids:
    """Deterministic ascending UUIDs made chunk by chunk (the bytes are drawn up front)."""

    def __init__(self, rng: np.random.Generator, n: int):
        self.raw = _uuid_bytes(rng, n)
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, sl: slice) -> list[uuid.UUID]:
        start, stop, _ = sl.indices(self.n)
        raw = self.raw
        return [uuid.UUID(bytes=raw[i * 16:(i + 1) * 16]) for i in range(start, stop)]
