"""Plot a sweep table: python3 -m xbarsim.plot results.csv --x adc.bits --y ppa.totals.tops_per_w -o fig.png"""
import argparse
import sys

from . import plots


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m xbarsim.plot", description=__doc__)
    p.add_argument("csv", help="a table written by `xbarsim sweep`")
    p.add_argument("--x", required=True, help="column on the x axis (a swept config path)")
    p.add_argument("--y", required=True, help="column on the y axis (a metric)")
    p.add_argument("--group", help="one line per value of this column")
    p.add_argument("--pareto", action="store_true", help="scatter with the Pareto front (max x, max y)")
    p.add_argument("--logx", action="store_true")
    p.add_argument("-o", "--output", required=True, help="image file (.png, .pdf, .svg)")
    a = p.parse_args(argv)
    rows = plots.load_rows(a.csv)
    if not rows:
        sys.exit(f"xbarsim.plot: error: no finished points in {a.csv}")
    for col in filter(None, [a.x, a.y, a.group]):
        if col not in rows[0]:
            sys.exit(f"xbarsim.plot: error: no column '{col}' in {a.csv}; columns: {', '.join(rows[0])}")
    ax = plots.pareto(rows, a.x, a.y) if a.pareto else plots.sweep_line(rows, a.x, a.y, a.group, logx=a.logx)
    ax.figure.savefig(a.output, dpi=120)
    return 0


if __name__ == "__main__":
    sys.exit(main())
