"""Demo contract portfolio: about USD 14.5 billion between the partners (long-range air-defence
systems, frigates, a large ammunition batch for three services, licensed production of portable
air-defence systems won in a one-billion-dollar tender, transfer of technology, maintenance), in
USD, RUB and INR, with milestones and deliveries, some overdue. Deterministic.

The contracts go back to 2018, so this adds yearly demonstration fixings of INR, RUB and EUR per
USD from 2018 (the maintained rates of setu.demo.finance start in 2026)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from setu.finance.models import ExchangeRate

SOURCE = "Setu demonstration rates (not a market fixing)"
#: (valid from, INR, RUB, EUR per USD)
HISTORY = ((date(2018, 1, 1), "64.00", "57.60", "0.83"), (date(2018, 7, 1), "68.50", "62.80", "0.86"),
           (date(2019, 1, 1), "69.80", "69.50", "0.87"), (date(2020, 1, 1), "71.30", "61.90", "0.89"),
           (date(2021, 1, 1), "73.00", "73.90", "0.82"), (date(2022, 1, 1), "74.50", "74.30", "0.88"),
           (date(2023, 1, 1), "82.70", "70.30", "0.94"), (date(2024, 1, 1), "83.20", "89.70", "0.90"),
           (date(2025, 1, 1), "85.60", "101.70", "0.96"))

#: number, title, kind, supplier org, value, currency, value date, signed on, status, ToT packages,
#: milestones: (kind, name, quantity, planned, share of value, actual date or None)
CONTRACTS = (
    ("IND-RUS/2018/LRSAM", "Long-range air-defence systems, five regiments", "supply", "RU-EXPORT",
     "5430000000.00", "USD", date(2018, 10, 5), date(2018, 10, 5), "in_force", (),
     (("milestone", "Advance payment", None, date(2019, 1, 15), "0.15", date(2019, 1, 20)),
      ("delivery", "Regiment 1", 1, date(2021, 12, 10), "0.17", date(2021, 12, 20)),
      ("delivery", "Regiment 2", 1, date(2022, 4, 15), "0.17", date(2022, 4, 30)),
      ("delivery", "Regiment 3", 1, date(2023, 2, 1), "0.17", date(2023, 3, 10)),
      ("delivery", "Regiment 4", 1, date(2026, 5, 31), "0.17", None),
      ("delivery", "Regiment 5", 1, date(2027, 2, 28), "0.17", None))),
    ("IND-RUS/2018/FFG-A", "Guided-missile frigates, two built at the origin yard", "supply", "RU-LANDSEA",
     "1000000000.00", "USD", date(2018, 11, 20), date(2018, 11, 20), "in_force", (),
     (("milestone", "Advance payment", None, date(2019, 2, 1), "0.20", date(2019, 2, 1)),
      ("delivery", "Frigate 1", 1, date(2024, 12, 9), "0.40", date(2024, 12, 9)),
      ("delivery", "Frigate 2", 1, date(2025, 6, 30), "0.40", date(2025, 7, 1)))),
    ("IND-RUS/2019/FFG-B", "Guided-missile frigates, two built under licence at the operator's yard",
     "licensed_production", "RU-LANDSEA", "34900000000.00", "INR", date(2019, 1, 29), date(2019, 1, 29),
     "in_force", ("TOT-FFG-HULL",),
     (("milestone", "Design package and materials", None, date(2019, 9, 30), "0.25", date(2019, 10, 15)),
      ("delivery", "Frigate 3", 1, date(2026, 8, 31), "0.375", None),
      ("delivery", "Frigate 4", 1, date(2027, 6, 30), "0.375", None))),
    ("IND-RUS/2019/AMMO", "Ammunition batch for the army, navy and air force", "supply", "RU-EXPORT",
     "128000000000.00", "RUB", date(2019, 3, 12), date(2019, 3, 12), "in_force", (),
     (("delivery", "Army lot", 1, date(2020, 6, 30), "0.40", date(2020, 7, 20)),
      ("delivery", "Navy lot", 1, date(2021, 6, 30), "0.30", date(2021, 9, 1)),
      ("delivery", "Air force lot", 1, date(2026, 3, 31), "0.30", None))),
    ("IND-RUS/2024/VSHORAD", "Portable air-defence systems, licensed production (one-billion-dollar tender)",
     "licensed_production", "RU-AD", "1000000000.00", "USD", date(2024, 3, 1), date(2024, 3, 1), "in_force",
     ("TOT-MANPADS-SEEKER", "TOT-MANPADS-MOTOR"),
     (("milestone", "Advance payment", None, date(2024, 4, 1), "0.10", date(2024, 4, 5)),
      ("delivery", "First lot from the origin (100 launchers)", 100, date(2025, 3, 31), "0.20", date(2025, 5, 2)),
      ("delivery", "First licence-built lot (200 launchers)", 200, date(2026, 9, 30), "0.35", None),
      ("delivery", "Second licence-built lot (200 launchers)", 200, date(2027, 9, 30), "0.35", None))),
    ("IND-RUS/2024/VSHORAD-TOT", "Transfer of technology for portable air-defence systems",
     "transfer_of_technology", "RU-AD", "8320000000.00", "INR", date(2024, 3, 1), date(2024, 3, 1), "in_force",
     ("TOT-MANPADS-SEEKER", "TOT-MANPADS-MOTOR"),
     (("milestone", "Documentation package", None, date(2024, 9, 30), "0.40", date(2024, 10, 30)),
      ("milestone", "Tooling and training", None, date(2026, 6, 30), "0.60", None))),
    ("IND-RUS/2020/MBT-KITS", "Main battle tank upgrade kits", "supply", "RU-LANDSEA",
     "2050000000.00", "USD", date(2020, 9, 18), date(2020, 9, 18), "in_force", (),
     (("delivery", "Kits, batch 1", 300, date(2022, 9, 30), "0.50", date(2022, 12, 15)),
      ("delivery", "Kits, batch 2", 300, date(2026, 10, 31), "0.50", None))),
    ("IND-RUS/2020/HELI-MRO", "Helicopter fleet maintenance and service", "maintenance", "RU-AERO",
     "1200000000.00", "USD", date(2020, 2, 5), date(2020, 2, 5), "in_force", (),
     (("milestone", "Years 1-3", None, date(2023, 2, 5), "0.50", date(2023, 3, 1)),
      ("milestone", "Years 4-6", None, date(2026, 2, 5), "0.50", None))),
    ("IND-RUS/2021/ENG-MRO", "Aero-engine overhaul", "maintenance", "RU-AERO",
     "78000000000.00", "RUB", date(2021, 4, 8), date(2021, 4, 8), "in_force", (),
     (("delivery", "Engines overhauled, first 120", 120, date(2023, 4, 30), "0.50", date(2023, 6, 30)),
      ("delivery", "Engines overhauled, next 120", 120, date(2026, 4, 30), "0.50", None))),
    ("IND-RUS/2025/AD-MRO", "Air-defence systems maintenance and service", "maintenance", "RU-AD",
     "25400000000.00", "INR", date(2025, 5, 2), date(2025, 5, 2), "signed", (),
     (("milestone", "Mobilisation", None, date(2025, 11, 30), "0.20", None),
      ("milestone", "Year 1", None, date(2026, 5, 2), "0.40", None),
      ("milestone", "Year 2", None, date(2027, 5, 2), "0.40", None))),
    ("IND-RUS/2026/SPARES-FW", "Spares framework for rotorcraft (draft)", "supply", "IN-JV-ROTOR",
     "4275000000.00", "INR", date(2026, 7, 1), None, "draft", (),
     (("delivery", "First call-off", None, date(2027, 1, 31), "0.50", None),
      ("delivery", "Second call-off", None, date(2027, 7, 31), "0.50", None))),
    ("IND-RUS/2022/SUB-LEASE", "Submarine lease (terminated)", "supply", "RU-LANDSEA",
     "220000000000.00", "RUB", date(2022, 3, 1), date(2022, 3, 1), "terminated", (), ()),
)


def _rates(uow) -> int:
    from setu.finance import repository as frepo

    n = 0
    for on, *rates in HISTORY:
        for cur, r in zip(("INR", "RUB", "EUR"), rates):
            if frepo.rate_of(uow.session, "USD", cur, on) is None:
                uow.session.add(ExchangeRate(from_currency="USD", to_currency=cur, rate=Decimal(r), valid_from=on,
                                             source=SOURCE, entered_by="demo"))
                n += 1
    uow.session.flush()
    return n


def write_contracts(uow, data) -> dict[str, int]:
    """The demo loader's step: the historical rates, then the portfolio (skipped when loaded)."""
    from setu.contracts.models import Contract, Milestone
    from setu.contracts import repository as crepo

    n_rates = _rates(uow)
    ind, rus = data.party_ids.get("IND"), data.party_ids.get("RUS")
    if ind is None or rus is None:
        return {"finance_exchange_rate (history)": n_rates}
    n = m = 0
    for (number, title, kind, org, value, cur, vdate, signed, status, tot, milestones) in CONTRACTS:
        if crepo.by_number(uow.session, number) is not None:
            continue
        c = Contract(number=number, title=title, kind=kind, operator_party_id=ind, origin_party_id=rus,
                     supplier_organisation_id=data.organisation_ids.get(org), value=Decimal(value), currency=cur,
                     value_date=vdate, signed_on=signed, status=status, tot_packages=list(tot),
                     created_by="ind.planner", decided_by="rus.export" if status != "draft" else None,
                     note="Terminated by mutual agreement (demo)" if status == "terminated" else None)
        uow.session.add(c)
        uow.session.flush()
        n += 1
        for mk, name, qty, planned, share, actual in milestones:
            amount = (Decimal(value) * Decimal(share)).quantize(Decimal("0.01"))
            uow.session.add(Milestone(contract_id=c.id, kind=mk, name=name, quantity=qty, planned_on=planned,
                                      planned_value=amount, actual_on=actual,
                                      actual_value=amount if actual else None,
                                      recorded_by="rus.export" if actual else None))
            m += 1
    uow.session.flush()
    return {"contracts_contract": n, "contracts_milestone": m, "finance_exchange_rate (history)": n_rates}
