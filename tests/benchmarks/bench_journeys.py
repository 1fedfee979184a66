"""How long the journeys' night takes when a journey takes every customer.

    python3 tests/benchmarks/bench_journeys.py --addons-path <path> \\
        [--sizes 100000] [--template crm_bench_template] [--keep] \\
        [--out docs/BENCHMARKS_JOURNEYS.md]

For each size, a copy of the benchmarks' template database filled by
``tests/generator.py --loyalty`` (four years of orders), every customer
given an email address, and the lifecycle night run (not timed). Then
three journeys are started, as a shop would on a festival:

* a greeting to every customer on today's date (calendar trigger, empty
  audience): an email, a wait of 7 days, "ordered since entering?", an
  email to those who did not;
* the ready "90 days without an order: a coupon" (coupon with its email,
  wait 14 days, a call);
* the ready "Second purchase nudge after 7 days".

Night 1 (today) enters the customers and runs the first steps (emails
queued in Odoo's mail queue, coupons issued); night 2 (today + 7) advances
them (the branch and the second email). Each night is the engine's run
(``crm.journey.run``) in batches, as the cron runs it, timed from its start
to its commit; peak memory of the process.
"""

import argparse
import json
import os
import platform
import time
from datetime import date, timedelta

import benchlib
import run_all

ROOT = run_all.ROOT


def night(env, model, as_of):
    """One run of a nightly step on ``as_of``, batch after batch, committed;
    returns its seconds."""
    Run = env[model]
    started = time.perf_counter()
    run = Run.create({"as_of": as_of, "forced": True})
    env.cr.commit()
    while run.state == "running":
        done, _remaining = run._process_batch()
        env.cr.commit()
        if not done:
            break
    return time.perf_counter() - started, run


def counts(env):
    env.cr.execute(
        """
        SELECT (SELECT COUNT(*) FROM crm_journey_participant),
               (SELECT COUNT(*) FROM crm_journey_trace),
               (SELECT COUNT(*) FROM mail_mail),
               (SELECT COUNT(*) FROM loyalty_card c
                  JOIN loyalty_program p ON p.id = c.program_id
                 WHERE p.program_type = 'coupons'),
               (SELECT COUNT(*) FROM mail_activity)
        """
    )
    participants, traces, mails, coupons, activities = env.cr.fetchone()
    return {
        "participants": participants,
        "traces": traces,
        "mails": mails,
        "coupons": coupons,
        "activities": activities,
    }


def measure(db, addons_path):
    from odoo import Command

    with benchlib.odoo_env(db, addons_path) as env:
        today = date.today()
        lifecycle_seconds, _run = night(env, "crm.lifecycle.run", today)
        # Every customer with an address, as a shop's members have (the
        # generator gives none): once the night made their profiles.
        env.cr.execute(
            """
            UPDATE res_partner
               SET email = 'customer' || id || '@example.com',
                   email_normalized = 'customer' || id || '@example.com'
             WHERE email IS NULL
               AND id IN (SELECT partner_id FROM crm_lifecycle_profile)
            """
        )
        env.cr.commit()
        template = env.ref("crm_journey.mail_template_journey_greeting")
        greeting = env["crm.journey"].create(
            {
                "name": "Greeting to every customer",
                "trigger": "calendar",
                "calendar_kind": "gregorian",
                "calendar_month": today.month,
                "calendar_day": today.day,
                "control_share": 10.0,
                "exit_on_order": False,
                "step_ids": [
                    Command.create(
                        {
                            "sequence": 10,
                            "kind": "email",
                            "mail_template_id": template.id,
                        }
                    ),
                    Command.create({"sequence": 20, "kind": "wait", "wait_days": 7}),
                    Command.create({"sequence": 30, "kind": "branch"}),
                    Command.create(
                        {
                            "sequence": 40,
                            "kind": "email",
                            "mail_template_id": template.id,
                        }
                    ),
                ],
            }
        )
        env.company.journey_weekly_cap = 3
        journeys = (
            greeting
            | env.ref("crm_journey.journey_no_repurchase_90")
            | env.ref("crm_journey.journey_second_order")
        )
        env["crm.journey"].search([]).write({"state": "draft"})
        journeys.action_start()
        env.cr.commit()
        before = counts(env)
        rss_before = benchlib.rss_mib()
        first_seconds, first = night(env, "crm.journey.run", today)
        after_first = counts(env)
        second_seconds, second = night(
            env, "crm.journey.run", today + timedelta(days=7)
        )
        after_second = counts(env)
        return {
            "lifecycle_seconds": lifecycle_seconds,
            "first_seconds": first_seconds,
            "second_seconds": second_seconds,
            "first_entered": first.entered_count,
            "first_steps": first.rows_written,
            "second_steps": second.rows_written,
            "customers": first.customers_total,
            "before": before,
            "after_first": after_first,
            "after_second": after_second,
            "rss_mib": benchlib.rss_mib(),
            "rss_before_mib": rss_before,
        }


def report(rows, args, started):
    machine = benchlib.machine()
    commit = benchlib.code_commit()
    lines = [
        "# Journeys benchmark",
        "",
        (
            f"Measured on {date.today()} with `python3 tests/benchmarks/"
            f"bench_journeys.py --sizes {args.sizes}` "
            f"({(time.time() - started) / 60:.0f} min with the data generation), "
            f"code of {commit}; machine: {machine['cpu']}, {machine['cores']} cores, "
            f"{machine['memory_gib']} GiB, PostgreSQL {machine['postgres']}; "
            f"Python {platform.python_version()}; load average "
            f"{args.load_start:.1f} at the start, {os.getloadavg()[0]:.1f} at the end."
        ),
        "",
        (
            "Three running journeys: a greeting to every customer on today's date "
            "(email, wait 7 days, ordered since?, email; 10% control group), the "
            "ready 90-day coupon journey and the ready second-purchase nudge. "
            "Night 1 enters the customers and runs their first steps; night 2, "
            "seven days later, advances them. Each night is `crm.journey.run` in "
            "batches of 5,000 customers in one process, as the cron runs it. "
            "Emails are queued in Odoo's mail queue (sending them is the mail "
            "server's work, not measured). Data: `tests/generator.py --loyalty`, "
            "four years of orders; every customer given an email address."
        ),
        "",
        (
            "| Customers | Night 1: enter and first steps | Entered | Steps run | "
            "Emails queued | Coupons | Night 2: advance | Steps run | Emails "
            "queued | Peak memory |"
        ),
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        m = row["measure"]
        first = m["after_first"]
        second = m["after_second"]
        before = m["before"]
        lines.append(
            f"| {row['data']['customers']:,} | {m['first_seconds']:.0f} s "
            f"({m['first_seconds'] / 60:.1f} min) | {m['first_entered']:,} | "
            f"{m['first_steps']:,} | {first['mails'] - before['mails']:,} | "
            f"{first['coupons'] - before['coupons']:,} | "
            f"{m['second_seconds']:.0f} s | {m['second_steps']:,} | "
            f"{second['mails'] - first['mails']:,} | {m['rss_mib']:.0f} MiB |"
        )
    lines += [
        "",
        (
            "The lifecycle night that precedes them (not part of the figures): "
            + ", ".join(
                f"{row['measure']['lifecycle_seconds']:.0f} s at "
                f"{row['data']['customers']:,} customers"
                for row in rows
            )
            + "."
        ),
        "",
        (
            "Target of the issue: enrolling and advancing 100,000 customers in one "
            "night."
        ),
        "",
    ]
    with open(args.out, "w", encoding="utf-8") as report_file:
        report_file.write("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--template", default="crm_bench_template")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--measure", help="only measure this database")
    parser.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS_JOURNEYS.md"))
    args = parser.parse_args()
    if args.measure:
        benchlib.emit(measure(args.measure, args.addons_path))
        return
    started = time.time()
    args.load_start = os.getloadavg()[0]
    run_all.make_template(args.template, args.addons_path)
    rows = []
    for size in (int(size) for size in args.sizes.split(",")):
        db = f"crm_bench_journeys_{size}"
        data = run_all.filled(args.template, db, size)
        measured = benchlib.measure_in_process(__file__, args.addons_path, db)
        rows.append({"data": data, "measure": measured})
        if not args.keep:
            run_all.drop(db)
        m = rows[-1]["measure"]
        print(
            f"journeys at {size:,} customers: night 1 {m['first_seconds']:.0f} s, "
            f"night 2 {m['second_seconds']:.0f} s, {m['rss_mib']:.0f} MiB"
        )
        print(json.dumps({"size": size, **m}))
    report(rows, args, started)


if __name__ == "__main__":
    main()
