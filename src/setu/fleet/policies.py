"""Who sees which sites, and through them which equipment units, stock and demand.

- the installation's system actor and programme offices (leadership of both sides): every site;
- armed-service organisations (HQ, depot, base): every site of their own party;
- industry and quality organisations (OEM, export agency, joint venture, quality authority): the
  sites of their own organisation only (a plant), never the armed forces' stock;
- system administrators: none (they are refused business permissions anyway).

Everything owned through a site (units, stock positions, demand) follows the site. Another
party's site answers 404 exactly like a missing one, because the query never returns it.
"""
from __future__ import annotations

from sqlalchemy.sql import Select

from setu.fleet import repository as repo
from setu.identity.models import Organisation
from setu.kit.access import Actor, declare

MILITARY_KINDS = {"armed_service_hq", "depot", "base"}

for _resource in ("site", "equipment_unit", "stock"):
    declare(f"fleet.{_resource}.read")
    declare(f"fleet.{_resource}.update")
declare("fleet.site.create")
declare("fleet.equipment_unit.create")
declare("fleet.stock.import", description="import stock positions from CSV or Excel")


def visible_site_ids(actor: Actor | None) -> Select | None:
    """A subquery of the site ids the actor may see, or None when the actor sees every site."""
    if actor is None:
        return repo.no_site_ids()
    if actor.sees_all_parties:
        return None
    if actor.sysadmin or actor.party_id is None:
        return repo.no_site_ids()
    if actor.organisation_kind in MILITARY_KINDS:
        return repo.party_site_ids(actor.party_id)
    return repo.organisation_site_ids(actor.organisation_id)


def may_use_organisation(actor: Actor, org: Organisation) -> bool:
    """May the actor create or move sites for this organisation?"""
    if actor.system:
        return True
    if actor.organisation_kind in MILITARY_KINDS:
        return org.party_id == actor.party_id
    return org.id == actor.organisation_id
