"""Reference values for crates/backtest/src/ab.rs (tests `*_matches_statsmodels`).

Run with numpy, scipy and statsmodels installed:  python3 diebold_mariano.py
The long-run variance is statsmodels' HAC (Bartlett kernel, no small-sample correction) of a
regression on a constant; the Diebold-Mariano statistic is its t-value, the HLN factor and the
Student-t p-value come from scipy.
"""
import numpy as np
import scipy.stats
import statsmodels.api as sm

d = np.array([12.0, -3.5, 8.25, 4.0, 15.5, 9.0, -6.0, 2.5, 11.0, 7.75,
              -1.25, 3.0, 14.0, 5.5, -2.0, 6.5, 10.25, 0.5, 4.75, 9.5])
n = len(d)
for lags in (0, 2, 4):
    fit = sm.OLS(d, np.ones(n)).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": False})
    lrv = fit.bse[0] ** 2 * n
    dm = fit.tvalues[0]
    h = 1
    hln = dm * np.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    p = 2 * scipy.stats.t.sf(abs(hln), df=n - 1)
    print(f"lags={lags}: lrv={lrv!r} dm={dm!r} hln={hln!r} p={p!r}")
