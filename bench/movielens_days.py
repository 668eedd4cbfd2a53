#!/usr/bin/env python3
"""movielens_days.py -- MovieLens (ratings.csv, movies.csv) as dualrec logs.

usage: movielens_days.py MLDIR OUTDIR START_DATE N_DAYS

Every rating becomes one exposure (the user watched the movie).  Feedback:
like = rating >= 4.0; click = 1 (every row was watched, so the click task
has no negatives and no AUC).  The other tasks do not exist in MovieLens.
Time: ratings span ~22 years, far too sparse for daily segments, so the
ratings are ordered by timestamp (ties by user, movie) and cut into N_DAYS
equal-count "days" starting at START_DATE; within a day the original order
is kept.  That is a global time split: the last day is the next-day test
of a window made of the days before it.  Items: movieId, genres as tags,
no creator, no upload time (unknown).  Writes
OUTDIR/dt=YYYY-MM-DD/{exposures,items}.csv.
"""
import csv
import datetime
import os
import sys


def main():
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        sys.exit(64)
    mldir, outdir, start, n_days = sys.argv[1:]
    n_days = int(n_days)
    day0 = datetime.date.fromisoformat(start)
    rows = []
    with open(os.path.join(mldir, "ratings.csv"), newline="") as f:
        for r in csv.DictReader(f):
            rows.append((int(r["timestamp"]), r["userId"], r["movieId"],
                         float(r["rating"])))
    rows.sort(key=lambda r: (r[0], int(r[1]), int(r[2])))
    movies = []
    with open(os.path.join(mldir, "movies.csv"), newline="") as f:
        for r in csv.DictReader(f):
            g = r["genres"]
            movies.append((r["movieId"],
                           "" if g == "(no genres listed)" else g))
    per = (len(rows) + n_days - 1) // n_days
    for k in range(n_days):
        day = day0 + datetime.timedelta(days=k)
        d = os.path.join(outdir, "dt=" + day.isoformat())
        os.makedirs(d, exist_ok=True)
        base = int(datetime.datetime(day.year, day.month, day.day,
                                     tzinfo=datetime.timezone.utc)
                   .timestamp())
        part = rows[k * per:(k + 1) * per]
        with open(os.path.join(d, "exposures.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["time", "user", "item", "click", "like"])
            for j, (_, u, m, rating) in enumerate(part):
                t = base + (j * 86399) // max(1, len(part))
                w.writerow([t, u, m, 1, 1 if rating >= 4.0 else 0])
        with open(os.path.join(d, "items.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["item", "creator", "upload_time", "tags"])
            for m, g in movies:
                w.writerow([m, "", "", g])


if __name__ == "__main__":
    main()
