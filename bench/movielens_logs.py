#!/usr/bin/python3
"""movielens_logs.py -- turn MovieLens ratings into two days of dualrec logs
with a global time split, for dualrec-eval-retrieval.

usage: movielens_logs.py ML_DIR OUT_DIR DAY1 [TEST_SHARE]

Ratings before the split time (the (1 - TEST_SHARE) quantile of all
timestamps, default 0.1) go to day DAY1, the rest to DAY1 + 1; times are
rewritten to fall inside their day, order kept.  Every rating is an
exposure with click = 1, ratings >= 4 also like = 1.  items.csv of DAY1
lists every movie with its genres as tags (the catalog is known up
front; there is no creator), so movies first rated after the split are
new items that have features but no history.
"""
import csv
import datetime
import os
import sys


def main():
    ml, out, day1 = sys.argv[1], sys.argv[2], sys.argv[3]
    share = float(sys.argv[4]) if len(sys.argv) > 4 else 0.1
    d1 = datetime.date.fromisoformat(day1)
    d2 = d1 + datetime.timedelta(days=1)
    base1 = int(datetime.datetime(d1.year, d1.month, d1.day,
                                  tzinfo=datetime.timezone.utc).timestamp())
    rows = []
    with open(os.path.join(ml, "ratings.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.append((int(r["timestamp"]), r["userId"], r["movieId"],
                         float(r["rating"])))
    rows.sort()
    split = rows[int(len(rows) * (1 - share))][0]
    days = {d1: [], d2: []}
    for t, u, m, x in rows:
        days[d1 if t < split else d2].append((u, m, x))
    for day, rs in days.items():
        base = base1 + (day - d1).days * 86400
        ddir = os.path.join(out, "logs", "dt=" + day.isoformat())
        os.makedirs(ddir, exist_ok=True)
        with open(os.path.join(ddir, "exposures.csv"), "w") as f:
            f.write("time,user,item,click,like\n")
            n = len(rs)
            for k, (u, m, x) in enumerate(rs):
                t = base + 60 + (86000 * k) // max(n, 1)
                f.write("%d,u%s,m%s,1,%d\n" % (t, u, m, 1 if x >= 4 else 0))
        if day == d1:
            with open(os.path.join(ml, "movies.csv"), newline="") as fin, \
                 open(os.path.join(ddir, "items.csv"), "w") as f:
                f.write("item,creator,upload_time,tags\n")
                for r in csv.DictReader(fin):
                    g = r["genres"]
                    tags = "" if g == "(no genres listed)" else g
                    f.write("m%s,,%d,%s\n" % (r["movieId"], base, tags))
    print("split at %d: %d training ratings, %d test ratings"
          % (split, len(days[d1]), len(days[d2])), file=sys.stderr)


if __name__ == "__main__":
    main()
