"""An invented State Council notice for 2027, for the tests only (the real one is not out).

Every statutory holiday of the law is among its days off; it moves days around as a real notice
does: 春节 Fri 5 – Sat 13 Feb off, with Sun 14 and Sat 20 Feb worked; 国庆 1–7 Oct off, with
Sun 26 Sep and Sat 9 Oct worked.
"""

from __future__ import annotations

from datetime import date

SITE_2027 = """\
# 2027 年节假日安排（测试用，虚构）
2027:
  holidays:
    - "2027-01-01..2027-01-03"
    - "2027-02-05..2027-02-13"
    - "2027-04-03..2027-04-05"
    - "2027-05-01..2027-05-05"
    - "2027-06-09..2027-06-11"
    - "2027-09-15..2027-09-17"
    - "2027-10-01..2027-10-07"
  workdays: [2027-02-14, 2027-02-20, 2027-09-26, 2027-10-09]
"""

# The notice's adjusted working Saturday: a weekend day by the law alone.
WORKED_SATURDAY = date(2027, 2, 20)
