"""Command line: ``python -m matching propose|validate participants.jsonl``.

Exit status: 0 success, 2 invalid input (the message names line and field),
3 infeasible round, 1 unexpected failure.
"""

import argparse
import sys

from .engine import propose
from .exceptions import Infeasible, InvalidInput, MatchingError
from .params import MatchParams
from .records import load_jsonl

__all__ = ["main"]

EXIT_INVALID, EXIT_INFEASIBLE, EXIT_ERROR = 2, 3, 1


def _progress_bar(enabled):
    """A tqdm bar on stderr when available, else a plain percentage line."""
    if not enabled:
        return None, lambda: None
    try:
        from tqdm import tqdm
    except ImportError:                                  # tqdm is optional
        def report(fraction, message):
            print(f"\r{fraction:5.0%} {message:<30}", end="", file=sys.stderr, flush=True)
        return report, lambda: print(file=sys.stderr)
    bar = tqdm(total=100, file=sys.stderr, unit="%", leave=False)

    def report(fraction, message):
        bar.set_description(message, refresh=False)
        bar.update(int(fraction * 100) - bar.n)
    return report, bar.close


def _parser():
    parser = argparse.ArgumentParser(prog="python -m matching",
                                     description="Propose mentor -> mentee city pairs.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("propose", help="solve a round and write the proposals as JSON")
    p.add_argument("participants", help="JSON Lines file, one city per line")
    p.add_argument("-o", "--output", default="-", help="output JSON file (default: stdout)")
    p.add_argument("--require-shared-language", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--allow-same-country", action=argparse.BooleanOptionalAction, default=False)
    p.add_argument("--objective", choices=["max_coverage", "max_score"], default="max_coverage")
    p.add_argument("--solver", choices=["auto", "exact", "greedy"], default="auto")
    p.add_argument("--min-score", type=float, default=0.0)
    p.add_argument("--mentors-per-mentee", type=int, default=1)
    p.add_argument("--top-k", type=int, default=None)
    p.add_argument("--seed", type=int, default=0)
    rules = p.add_argument_group("programme rules (a flow network, solved exactly)")
    rules.add_argument("--max-per-country", type=int, default=None, metavar="N",
                       help="at most N mentees of one country in the round")
    rules.add_argument("--max-per-mentor-country", type=int, default=None, metavar="K",
                       help="at most K mentees of one country per mentor city")
    rules.add_argument("--priority-floor", type=float, default=0.0, metavar="SHARE",
                       help="at least this share (0-1) of matched places to priority mentees")
    rules.add_argument("--min-per-region", type=int, default=0, metavar="M",
                       help="at least M pairs per mentee region, as far as pairs allow")
    rules.add_argument("--cross-commission", choices=["off", "bonus", "required"], default="off",
                       help="reward or require pairs across commissions")
    rules.add_argument("--cross-commission-bonus", type=float, default=0.1, metavar="SCORE")
    p.add_argument("--memory-budget-mb", type=int, default=1024,
                   help="work memory the engine may use (default 1024 MB)")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar on stderr (default: for rounds of 2,000 cities or more)")
    v = sub.add_parser("validate", help="check a participants file without solving")
    v.add_argument("participants")
    return parser


def main(argv=None):
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        participants = load_jsonl(args.participants)
        if args.command == "validate":
            n_mentors = sum(p.is_mentor for p in participants)
            n_mentees = sum(p.is_mentee for p in participants)
            print(f"{args.participants}: {len(participants)} valid cities "
                  f"({n_mentors} potential mentors, {n_mentees} asking for a mentor)")
            return 0
        params = MatchParams(require_shared_language=args.require_shared_language,
                             allow_same_country=args.allow_same_country, objective=args.objective,
                             solver=args.solver, min_score=args.min_score,
                             mentors_per_mentee=args.mentors_per_mentee, top_k=args.top_k,
                             random_state=args.seed, max_per_country=args.max_per_country,
                             max_per_mentor_country=args.max_per_mentor_country,
                             priority_floor=args.priority_floor, min_per_region=args.min_per_region,
                             cross_commission=args.cross_commission,
                             cross_commission_bonus=args.cross_commission_bonus,
                             memory_budget=args.memory_budget_mb << 20)
        show = args.progress if args.progress is not None else len(participants) >= 2000
        report, close = _progress_bar(show)
        try:
            result = propose(participants, params, progress=report)
        finally:
            close()
        if args.output == "-":
            print(result.to_json())
        else:
            result.to_json(args.output)
        m = result.metrics
        print(f"{m['n_pairs']} pairs, coverage {m['coverage']:.1%}, objective {m['objective']:.4f}"
              f" ({'certified optimal' if m['certified'] else 'not certified'})", file=sys.stderr)
        if m.get("stopped"):
            print(f"warning: {m['stopped']} (upper bound {m['upper_bound']:.4f})", file=sys.stderr)
        return 0
    except InvalidInput as exc:
        print(f"error: invalid input: {exc}", file=sys.stderr)
        for extra in exc.errors[1:]:
            print(f"  also: {extra}", file=sys.stderr)
        return EXIT_INVALID
    except Infeasible as exc:
        print(f"error: the round cannot be solved: {exc}", file=sys.stderr)
        return EXIT_INFEASIBLE
    except MatchingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
