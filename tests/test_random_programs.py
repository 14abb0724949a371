"""Random programs: adjoint's value and gradients against f itself and finite differences.

tests/random_programs.py writes, from a seed, a small module using every construct adjoint
supports (branches on data and constants, loops of every kind, break/continue, early
returns, helpers returning tuples, containers, list append + np.stack, in-place writes
into copies, op= on scalars); tests/random_check.py classifies each program as OK,
REFUSED (an AdjointError that is not an internal error), WRONG (value, gradient, gradient
structure or caller's arrays) or CRASH (anything else).

A run fails on any WRONG or CRASH outside KNOWN_FAILURES, on a known failure that now
passes (strict: shrink the list as bugs are fixed), and when more than 5% of its other
seeds are refused. Each failure message holds the seed and the program's source; to see
one program: `python -c "import sys; sys.path.insert(0, 'tests'); import random_programs
as rp; print(rp.generate(SEED).source)"`. tests/known_bugs.py has a minimal repro of each
family below. The seeds belong to the current random_programs.py: when it changes, rerun
the slow mode and rebuild KNOWN_FAILURES.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import random_check as rc
import random_programs as rp

FAST_SEEDS = range(40)
SLOW_SEEDS = range(40, 2040)
CHUNK = 100
MAX_REFUSED = 0.05

# family -> seeds failing with it today (tests/known_bugs.py has a minimal repro of each).
# REFUSED families are listed too: they are needless refusals of code that has no aliasing,
# and would otherwise keep the refusal rate far above MAX_REFUSED.
_FAMILIES = {
    'REFUSED op= on a scalar (may share an array)': (
        0, 1, 3, 5, 6, 8, 12, 13, 14, 15, 17, 21, 24, 25, 26, 30, 38, 43, 48, 51, 52,
        59, 69, 70, 72, 74, 83, 85, 87, 89, 91, 94, 96, 97, 102, 103, 105, 111, 118,
        119, 122, 125, 128, 129, 130, 133, 138, 140, 142, 146, 147, 149, 151, 157, 159,
        160, 165, 166, 169, 173, 177, 188, 189, 195, 203, 206, 207, 210, 213, 215, 216,
        217, 219, 223, 232, 234, 239, 244, 251, 252, 253, 254, 256, 257, 261, 262, 264,
        268, 269, 274, 280, 285, 290, 295, 297, 304, 305, 309, 311, 317, 318, 326, 327,
        330, 331, 333, 335, 336, 341, 345, 346, 349, 354, 355, 356, 361, 362, 365, 366,
        369, 370, 371, 378, 387, 389, 392, 394, 404, 410, 411, 413, 415, 420, 421, 422,
        426, 427, 430, 431, 435, 437, 439, 440, 444, 447, 449, 450, 454, 460, 465, 466,
        470, 471, 473, 474, 475, 477, 480, 487, 488, 491, 492, 497, 501, 507, 511, 512,
        513, 525, 531, 534, 536, 539, 541, 542, 544, 546, 555, 557, 560, 563, 566, 569,
        573, 577, 578, 584, 585, 586, 587, 588, 590, 591, 592, 596, 598, 599, 600, 601,
        608, 612, 613, 621, 623, 625, 630, 633, 635, 636, 637, 639, 641, 644, 647, 649,
        651, 653, 663, 667, 668, 676, 686, 687, 691, 693, 695, 698, 700, 702, 703, 704,
        715, 725, 729, 730, 734, 739, 742, 745, 747, 748, 753, 760, 763, 765, 767, 768,
        772, 778, 784, 786, 789, 792, 793, 794, 795, 796, 801, 804, 807, 813, 814, 816,
        817, 818, 821, 823, 824, 825, 826, 831, 832, 833, 834, 835, 836, 837, 838, 842,
        843, 844, 845, 847, 850, 851, 853, 854, 855, 858, 861, 873, 874, 877, 885, 887,
        889, 894, 895, 898, 902, 904, 906, 909, 913, 914, 917, 918, 924, 927, 929, 930,
        938, 939, 944, 946, 949, 951, 952, 962, 963, 965, 967, 968, 970, 972, 973, 974,
        979, 982, 990, 991, 996, 997, 999, 1000, 1003, 1009, 1011, 1012, 1013, 1021,
        1022, 1023, 1024, 1026, 1030, 1032, 1033, 1038, 1046, 1048, 1051, 1053, 1054,
        1057, 1058, 1061, 1062, 1064, 1066, 1072, 1075, 1076, 1079, 1080, 1085, 1093,
        1094, 1097, 1098, 1100, 1102, 1105, 1106, 1115, 1116, 1118, 1122, 1126, 1128,
        1131, 1133, 1136, 1139, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1154, 1157,
        1161, 1164, 1173, 1181, 1183, 1188, 1189, 1190, 1192, 1197, 1198, 1199, 1200,
        1201, 1205, 1207, 1208, 1216, 1218, 1219, 1224, 1231, 1234, 1235, 1237, 1238,
        1243, 1244, 1250, 1251, 1252, 1253, 1255, 1258, 1259, 1261, 1262, 1263, 1264,
        1265, 1267, 1268, 1276, 1278, 1282, 1284, 1287, 1288, 1290, 1293, 1296, 1301,
        1302, 1303, 1304, 1309, 1317, 1321, 1323, 1330, 1335, 1339, 1341, 1343, 1349,
        1352, 1353, 1354, 1355, 1366, 1375, 1380, 1384, 1385, 1390, 1393, 1396, 1398,
        1400, 1402, 1404, 1405, 1413, 1414, 1417, 1420, 1428, 1433, 1434, 1435, 1439,
        1441, 1444, 1445, 1446, 1447, 1456, 1458, 1461, 1463, 1467, 1470, 1471, 1473,
        1474, 1475, 1478, 1485, 1489, 1493, 1497, 1498, 1500, 1501, 1505, 1509, 1517,
        1521, 1524, 1530, 1532, 1533, 1539, 1542, 1558, 1560, 1564, 1565, 1571, 1572,
        1574, 1577, 1581, 1582, 1583, 1584, 1585, 1586, 1587, 1588, 1590, 1594, 1595,
        1598, 1599, 1609, 1612, 1613, 1614, 1619, 1620, 1623, 1624, 1630, 1633, 1635,
        1640, 1641, 1643, 1651, 1652, 1655, 1661, 1668, 1669, 1670, 1671, 1681, 1682,
        1683, 1685, 1687, 1688, 1691, 1692, 1693, 1697, 1702, 1704, 1705, 1707, 1710,
        1711, 1720, 1721, 1723, 1724, 1725, 1726, 1730, 1737, 1745, 1746, 1748, 1749,
        1750, 1751, 1752, 1754, 1755, 1756, 1758, 1759, 1766, 1768, 1778, 1783, 1785,
        1793, 1794, 1796, 1805, 1806, 1807, 1809, 1810, 1812, 1815, 1816, 1819, 1825,
        1829, 1830, 1833, 1837, 1838, 1842, 1844, 1846, 1848, 1850, 1851, 1855, 1856,
        1866, 1867, 1872, 1873, 1874, 1875, 1876, 1877, 1878, 1879, 1881, 1883, 1886,
        1891, 1892, 1895, 1900, 1902, 1909, 1915, 1916, 1918, 1921, 1923, 1925, 1926,
        1930, 1931, 1934, 1939, 1942, 1943, 1953, 1954, 1957, 1959, 1960, 1961, 1962,
        1964, 1968, 1972, 1977, 1993, 1998, 2006, 2008, 2012, 2016, 2025, 2026, 2027,
        2028, 2029, 2034, 2035, 2037, 2038,
    ),
    'REFUSED write into a copy (another name may share)': (
        4, 9, 19, 28, 41, 45, 53, 55, 62, 65, 84, 88, 101, 104, 108, 113, 115, 116, 123,
        132, 141, 156, 163, 164, 167, 175, 184, 190, 191, 192, 196, 205, 211, 212, 224,
        246, 247, 248, 258, 271, 273, 277, 282, 289, 306, 307, 308, 312, 313, 316, 322,
        323, 325, 334, 343, 347, 359, 360, 364, 373, 376, 383, 388, 401, 403, 405, 412,
        417, 419, 428, 429, 458, 476, 481, 483, 484, 486, 493, 495, 503, 505, 515, 518,
        522, 527, 547, 549, 550, 551, 553, 556, 559, 564, 568, 571, 572, 574, 579, 580,
        593, 594, 595, 604, 609, 610, 611, 614, 617, 620, 627, 631, 656, 657, 658, 659,
        666, 670, 673, 675, 677, 679, 680, 681, 685, 706, 708, 710, 711, 714, 718, 722,
        724, 728, 738, 743, 749, 766, 771, 773, 774, 780, 781, 790, 791, 797, 800, 802,
        810, 811, 815, 819, 822, 828, 839, 840, 841, 848, 857, 860, 864, 867, 872, 879,
        880, 882, 883, 884, 896, 900, 905, 910, 916, 919, 920, 922, 936, 947, 954, 956,
        966, 971, 977, 981, 986, 1001, 1004, 1015, 1025, 1036, 1039, 1041, 1042, 1044,
        1045, 1049, 1052, 1069, 1073, 1082, 1089, 1090, 1103, 1113, 1114, 1119, 1125,
        1129, 1132, 1140, 1160, 1172, 1175, 1178, 1191, 1194, 1195, 1211, 1222, 1240,
        1241, 1246, 1254, 1256, 1266, 1269, 1271, 1280, 1285, 1292, 1300, 1314, 1315,
        1316, 1322, 1324, 1329, 1336, 1337, 1364, 1365, 1395, 1397, 1409, 1418, 1421,
        1426, 1430, 1436, 1452, 1455, 1462, 1465, 1472, 1477, 1479, 1480, 1482, 1484,
        1487, 1491, 1504, 1513, 1518, 1522, 1529, 1536, 1545, 1547, 1553, 1554, 1555,
        1563, 1566, 1568, 1589, 1593, 1600, 1605, 1606, 1615, 1617, 1618, 1621, 1627,
        1628, 1631, 1632, 1644, 1646, 1647, 1659, 1660, 1665, 1672, 1677, 1684, 1690,
        1701, 1703, 1706, 1712, 1713, 1716, 1717, 1732, 1734, 1738, 1744, 1747, 1763,
        1764, 1772, 1779, 1781, 1786, 1790, 1795, 1799, 1801, 1804, 1808, 1813, 1828,
        1862, 1869, 1870, 1880, 1887, 1888, 1906, 1910, 1912, 1919, 1940, 1941, 1945,
        1946, 1949, 1950, 1951, 1958, 1973, 1979, 1981, 1985, 1986, 1989, 1992, 1995,
        1999, 2000, 2007, 2010, 2020, 2024, 2030, 2031,
    ),
    "REFUSED write into a copy (reported as the caller's array)": (
        209, 300, 504, 523, 662, 866, 892, 1008, 1091, 1109, 1176, 1249, 2009,
    ),
}
KNOWN_FAILURES = {seed: reason for reason, seeds in _FAMILIES.items() for seed in seeds}


def _run(seeds, directory):
    """{seed: (outcome, detail, program)} for every seed."""
    results = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # autograd warns on outputs independent of an input
        for seed in seeds:
            program = rp.generate(seed)
            outcome, detail = rc.classify(program, str(directory))
            results[seed] = (outcome, detail, program)
    return results


def _report(seed, outcome, detail, program) -> str:
    return f"{outcome} for {program.describe()}\n{detail}"


def _check(results) -> None:
    problems = []
    for seed, (outcome, detail, program) in sorted(results.items()):
        known = seed in KNOWN_FAILURES
        if outcome in (rc.WRONG, rc.CRASH) and not known:
            problems.append(_report(seed, outcome, detail, program))
        elif known and outcome == rc.OK:
            problems.append(f"seed {seed} now passes (was: {KNOWN_FAILURES[seed]}): "
                            "remove it from KNOWN_FAILURES")
    refused = [s for s, (outcome, _, _) in results.items()
               if outcome == rc.REFUSED and s not in KNOWN_FAILURES]
    judged = [s for s in results if s not in KNOWN_FAILURES]
    if judged and len(refused) > MAX_REFUSED * len(judged):
        first = results[refused[0]]
        problems.append(f"{len(refused)} of {len(judged)} programs refused (more than "
                        f"{MAX_REFUSED:.0%}); the first:\n{_report(refused[0], *first)}")
    assert not problems, "\n\n".join(problems[:5]) + (
        f"\n\n... and {len(problems) - 5} more" if len(problems) > 5 else "")


def test_fast_seeds(tmp_path):
    _check(_run(FAST_SEEDS, tmp_path))


@pytest.mark.slow
@pytest.mark.parametrize("start", range(SLOW_SEEDS.start, SLOW_SEEDS.stop, CHUNK))
def test_slow_seeds(start, tmp_path):
    _check(_run(range(start, min(start + CHUNK, SLOW_SEEDS.stop)), tmp_path))


def test_generation_is_deterministic():
    first, again = rp.generate(7), rp.generate(7)
    assert first.source == again.source and first.attempt == again.attempt
    assert all((a == b).all() if hasattr(a, "all") else a == b for a, b in zip(first.args, again.args))


def test_classifier_sees_a_wrong_gradient(tmp_path):
    """The harness itself: a right gradient is OK, and the same program checked against
    deliberately wrong finite differences comes out WRONG."""
    source = "import numpy as np\n\n\ndef f(x, a):\n    return np.sum(np.sin(x) * x) * a\n"
    program = rp.Program(-1, 0, source, (np.array([0.3, -0.8, 1.1]), 0.7), ("x", "a"))
    assert rc.classify(program, str(tmp_path)) == (rc.OK, "")
    real = rc.numerical_gradient
    try:
        rc.numerical_gradient = lambda f, args, position, eps: real(f, args, position, eps) + 1.0
        outcome, detail = rc.classify(program, str(tmp_path))
    finally:
        rc.numerical_gradient = real
    assert outcome == rc.WRONG and "finite difference" in detail, detail
