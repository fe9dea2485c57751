"""Buy-till-you-die models: BG/NBD, Pareto/NBD and Gamma-Gamma by maximum likelihood, with predictions and CLV.

The definitions are the published ones (Fader, Hardie & Lee 2005a for BG/NBD, 2005b for Pareto/NBD;
Fader & Hardie 2013 for Gamma-Gamma) as the ``lifetimes`` package and PyMC-Marketing also use them:

* a *transaction day* is a (customer, calendar day) with rows whose summed amount is not negative
  (free items count, as every transaction does in the literature; a day that is a net refund does
  not); ``frequency`` is the number of transaction days after the first (repeat purchases),
  ``recency`` the time from the first to the last transaction day, ``T`` the time from the first
  transaction day to the end of the calibration period, all in the chosen time unit (day, or week =
  days / 7); ``monetary_value`` the mean of the repeat transaction days' sums (0 without repeats);
* each model is fitted on the customer summary by maximising the closed-form log-likelihood in
  log-parameter space (L-BFGS-B), over the *distinct* (frequency, recency, T) rows weighted by how
  many customers share them. BG/NBD and Gamma-Gamma use analytic gradients; Pareto/NBD's
  likelihood holds a Gaussian hypergeometric function whose derivatives in its parameters have no
  closed form, so its gradient is a central difference of the vectorised likelihood;
* everything is computed in logs (log-gamma, log-sum-exp, the hypergeometric terms after Euler's
  transformation) so that frequent buyers neither overflow nor lose precision;
* standard errors come from the inverse Hessian of the negative log-likelihood at the optimum.

Pure: NumPy and SciPy on arrays; :func:`customer_summary` builds the summary as an ibis expression.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import ibis
import ibis.expr.datatypes as dt
import numpy as np
from scipy import optimize, special

from romashka.engine.lifecycle import customer_days

TIME_UNITS = {"day": 1.0, "week": 7.0}
DAYS_PER_YEAR = 365.25
SUMMARY_COLUMNS = ("customer_id", "frequency", "recency", "T", "monetary_value")
MODEL_PARAMETERS = {
    "bgnbd": ("r", "alpha", "a", "b"),
    "paretonbd": ("r", "alpha", "s", "beta"),
    "gammagamma": ("p", "q", "gamma"),
}
Array = np.ndarray


# --- the customer summary ----------------------------------------------------------------------


def customer_summary(
    purchases: ibis.Table,
    *,
    calibration_end: date,
    time_unit: str = "week",
    holdout_end: date | None = None,
) -> ibis.Table:
    """(customer_id, frequency, recency, T, monetary_value[, holdout_frequency]) per customer whose first
    transaction day is on or before ``calibration_end`` (see the module docstring).

    With ``holdout_end``, ``holdout_frequency`` counts the transaction days after ``calibration_end``
    up to ``holdout_end`` (for validation against a holdout period).
    """
    unit = _unit(time_unit)
    days, in_kopecks = customer_days(purchases, as_of=holdout_end or calibration_end)
    days = days.filter(days.day_amount >= 0)  # transaction days: not a net refund
    end = ibis.literal(calibration_end, type=dt.date)
    calibration = days.filter(days.day <= end)
    per = calibration.group_by("customer_id").aggregate(
        first_day=calibration.day.min(),
        last_day=calibration.day.max(),
        transaction_days=calibration.count(),
        repeat_total=calibration.day_amount.sum() - calibration.day_amount.argmin(calibration.day),
    )
    if holdout_end is not None:
        later = days.filter(days.day > end)
        later = later.group_by("customer_id").aggregate(holdout_frequency=later.count())
        per = per.left_join(later, "customer_id").select(per, holdout=later.holdout_frequency)
    frequency = per.transaction_days - 1
    repeat_total = per.repeat_total.cast(dt.float64) / (100.0 if in_kopecks else 1.0)
    columns = dict(
        customer_id=per.customer_id,
        frequency=frequency.cast(dt.int64),
        recency=per.last_day.delta(per.first_day, unit="day").cast(dt.float64) / unit,
        T=end.delta(per.first_day, unit="day").cast(dt.float64) / unit,
        monetary_value=ibis.ifelse(frequency > 0, repeat_total / frequency.cast(dt.float64), 0.0),
    )
    if holdout_end is not None:
        columns["holdout_frequency"] = per.holdout.fill_null(0).cast(dt.int64)
    return per.select(**columns)


def _unit(time_unit: str) -> float:
    try:
        return TIME_UNITS[time_unit]
    except KeyError:
        raise ValueError(f"time_unit must be one of {', '.join(TIME_UNITS)}, got {time_unit!r}") from None


# --- fitting -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fit:
    """A fitted model: parameters, their standard errors, the log-likelihood and the data it saw."""

    model: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    customers: int
    converged: bool
    iterations: int
    extra: dict[str, float] = field(default_factory=dict)

    def values(self) -> tuple[float, ...]:
        return tuple(self.params[name] for name in MODEL_PARAMETERS[self.model])


class Column:
    """A column as its distinct values and each row's position among them: functions of a customer's
    frequency or T (log-gamma, digamma, logarithms) are computed once per distinct value."""

    def __init__(self, values: Array, index: Array | None = None) -> None:
        if index is None:
            values, index = np.unique(np.asarray(values, dtype=float), return_inverse=True)
        self.values, self.index = values, index
        self.rows = values[index]

    def map(self, function: Callable[[Array], Array]) -> Array:
        return function(self.values)[self.index]


def _column(values) -> Column:
    return values if isinstance(values, Column) else Column(values)


def compress(*columns: Array) -> tuple[list[Array], Array]:
    """The distinct rows of the columns and how many times each occurs.

    Each column is sorted on its own and the rows are keyed by their positions: several times faster
    than sorting the rows as records.
    """
    grouped, counts = compress_columns(*columns)
    return [column.rows for column in grouped], counts


def compress_columns(*columns: Array) -> tuple[list[Column], Array]:
    """:func:`compress`, with the distinct rows' columns as :class:`Column` (no second sort)."""
    grouped = [Column(c) for c in columns]
    key = np.zeros(grouped[0].index.size, dtype=np.int64)
    for column in grouped:
        key = key * column.values.size + column.index
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    return [Column(column.values, column.index[first]) for column in grouped], counts.astype(float)


def _maximise(
    name: str,
    negative_ll: Callable[[Array], tuple[float, Array]],
    start: Array,
    customers: int,
    total_ll: Callable[[Array], float],
    gradient: Callable[[Array], Array],
    *,
    numerical_gradient: bool = False,
) -> Fit:
    """Minimises the negative log-likelihood over log-parameters; standard errors from the Hessian.

    With an analytic gradient the Hessian is its forward difference; with a numerical one that would
    divide the gradient's own rounding noise by a tiny step (Pareto/NBD's beta came out twice too
    uncertain), so the Hessian is then taken from second differences of the log-likelihood itself.
    """
    result = optimize.minimize(
        negative_ll, np.log(start), jac=True, method="L-BFGS-B",
        options={"maxiter": 2000, "ftol": 1e-13, "gtol": 1e-8, "maxcor": 20},
    )
    # The line search can stop "abnormally" at the optimum once F no longer changes in its last digits.
    converged = bool(result.success) or float(np.max(np.abs(result.jac))) <= 1e-6 * max(1.0, abs(result.fun))
    params = np.exp(result.x)
    names = MODEL_PARAMETERS[name]
    hessian = _value_hessian(total_ll, params) if numerical_gradient else _hessian(gradient, params)
    try:
        covariance = np.linalg.inv(hessian)
        errors = np.sqrt(np.where(np.diag(covariance) > 0, np.diag(covariance), np.nan))
    except np.linalg.LinAlgError:
        errors = np.full(len(names), np.nan)
    return Fit(
        model=name,
        params=dict(zip(names, params.tolist(), strict=True)),
        standard_errors=dict(zip(names, errors.tolist(), strict=True)),
        log_likelihood=float(total_ll(params)),
        customers=customers,
        converged=converged,
        iterations=int(result.nit),
    )


def _hessian(gradient: Callable[[Array], Array], params: Array) -> Array:
    """Hessian of the negative total log-likelihood in the parameters, by central differences of its gradient."""
    size = params.size
    hessian = np.empty((size, size))
    at_optimum = gradient(params)
    for j in range(size):
        # Forward differences: the gradient is analytic or itself central, so one side is precise enough.
        step = 1e-6 * max(abs(params[j]), 1e-3)
        moved = params.copy()
        moved[j] += step
        hessian[:, j] = (gradient(moved) - at_optimum) / step
    return (hessian + hessian.T) / 2


def _value_hessian(total: Callable[[Array], float], params: Array, *, relative_step: float = 1e-4) -> Array:
    """Hessian of the negative total log-likelihood by central second differences.

    On the CDNOW sample the standard errors agree to three digits for steps from 1e-3 to 1e-5.
    """
    size = params.size
    steps = relative_step * np.maximum(np.abs(params), 1e-3)
    hessian = np.empty((size, size))
    for i in range(size):
        for j in range(i, size):
            values = []
            for sign_i, sign_j in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                moved = params.copy()
                moved[i] += sign_i * steps[i]
                moved[j] += sign_j * steps[j]
                values.append(total(moved))
            second = (values[0] - values[1] - values[2] + values[3]) / (4 * steps[i] * steps[j])
            hessian[i, j] = hessian[j, i] = -second
    return hessian


def _check_summary(frequency: Array, recency: Array, T: Array) -> tuple[Array, Array, Array]:
    x, tx, t = (np.asarray(v, dtype=float) for v in (frequency, recency, T))
    if not (x.shape == tx.shape == t.shape) or x.size == 0:
        raise ValueError("frequency, recency and T must be non-empty arrays of the same length")
    if np.any(x < 0) or np.any(tx < 0) or np.any(tx > t + 1e-9) or np.any((x == 0) & (tx > 0)):
        raise ValueError("expected 0 <= recency <= T, frequency >= 0, and recency = 0 when frequency = 0")
    return x, tx, t


# --- BG/NBD ------------------------------------------------------------------------------------


def bgnbd_log_likelihood(params, x: Array, tx: Array, T: Array) -> Array:
    """Log-likelihood per customer (FHL 2005a, eq. 6)."""
    return _bgnbd(np.asarray(params, dtype=float), x, tx, T, with_gradient=False)[0]


def _bgnbd(params: Array, x, tx, T, *, with_gradient: bool):
    """Log-likelihood per row and, if asked, its gradient; x, tx, T are arrays or :class:`Column`."""
    r, alpha, a, b = params
    gl, dg = special.gammaln, special.digamma
    x, tx, T = _column(x), _column(tx), _column(T)
    rows = x.rows
    log_beta_ab = gl(a) + gl(b) - gl(a + b)
    repeat = rows > 0
    log_alpha_T = T.map(lambda v: np.log(alpha + v))
    log_alpha_tx = tx.map(lambda v: np.log(alpha + v))
    # Functions of the frequency alone, once per distinct frequency.
    per_x = np.stack([
        gl(r + x.values), gl(b + x.values) - gl(a + b + x.values),
        np.where(x.values > 0, gl(np.maximum(b + x.values - 1, 1e-300)), 0.0) - gl(a + b + x.values),
    ])[:, x.index]
    term1 = gl(a) + per_x[1] - log_beta_ab - (r + rows) * log_alpha_T
    term2 = np.where(repeat, gl(a + 1) + per_x[2] - log_beta_ab - (r + rows) * log_alpha_tx, -np.inf)
    mix = np.logaddexp(term1, term2)
    ll = per_x[0] - gl(r) + r * np.log(alpha) + mix
    if not with_gradient:
        return ll, None
    w1 = np.exp(term1 - mix)
    w2 = np.exp(term2 - mix)
    dg_x = np.stack([
        dg(r + x.values), dg(a + b + x.values), dg(b + x.values),
        np.where(x.values > 0, dg(np.maximum(b + x.values - 1, 1e-300)), 0.0),
    ])[:, x.index]
    d_r = dg_x[0] - dg(r) + np.log(alpha) - w1 * log_alpha_T - w2 * log_alpha_tx
    d_alpha = r / alpha - (r + rows) * (w1 * T.map(lambda v: 1 / (alpha + v)) + w2 * tx.map(lambda v: 1 / (alpha + v)))
    common = dg(a + b) - dg_x[1]
    d_a = w1 * common + w2 * (common + dg(a + 1) - dg(a))
    d_b = w1 * (common + dg_x[2] - dg(b)) + w2 * (common + dg_x[3] - dg(b))
    return ll, np.stack([d_r, d_alpha, d_a, d_b])


def fit_bgnbd(frequency, recency, T, *, start=(1.0, 1.0, 1.0, 1.0)) -> Fit:
    """BG/NBD by maximum likelihood (analytic gradient) over the compressed summary."""
    (x, tx, t), weights = compress_columns(*_check_summary(frequency, recency, T))

    def negative(log_params: Array) -> tuple[float, Array]:
        params = np.exp(log_params)
        ll, grad = _bgnbd(params, x, tx, t, with_gradient=True)
        return -float(weights @ ll), -(grad @ weights) * params

    def gradient(params: Array) -> Array:
        return -(_bgnbd(params, x, tx, t, with_gradient=True)[1] @ weights)

    return _maximise("bgnbd", negative, np.asarray(start, float), int(weights.sum()),
                     lambda p: weights @ _bgnbd(p, x, tx, t, with_gradient=False)[0], gradient)


def _log_odds_dead_bgnbd(params, x, tx, T):
    r, alpha, a, b = params
    repeat = x > 0
    return np.where(
        repeat,
        np.log(a) - np.log(np.where(repeat, b + x - 1, 1.0)) + (r + x) * (np.log(alpha + T) - np.log(alpha + tx)),
        -np.inf,
    )


def bgnbd_probability_alive(params, x, tx, T) -> Array:
    """P(alive | x, t_x, T); 1 for customers without repeat purchases, as the model has it."""
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    return special.expit(-_log_odds_dead_bgnbd(params, x, tx, T))


def bgnbd_expected_purchases(params, t, x, tx, T) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005a, eq. 10), after Euler's transformation of 2F1."""
    r, alpha, a, b = params
    x, tx, T, t = (np.asarray(v, dtype=float) for v in (x, tx, T, t))
    a_minus_1 = a - 1 if abs(a - 1) > 1e-9 else 1e-9
    one_minus_z = (alpha + T) / (alpha + T + t)
    z = t / (alpha + T + t)
    hyp = special.hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    growth = (a + b + x - 1) / a_minus_1 * -np.expm1((a - 1) * np.log(one_minus_z) + np.log(hyp))
    return growth * bgnbd_probability_alive(params, x, tx, T)


def bgnbd_expected_purchases_new(params, t) -> Array:
    """E[X(t)]: repeat purchases within t of the first purchase, for a customer not yet observed."""
    t = np.asarray(t, dtype=float)
    zero = np.zeros_like(t)
    return bgnbd_expected_purchases(params, t, zero, zero, zero)


# --- Pareto/NBD --------------------------------------------------------------------------------


def paretonbd_log_likelihood(params, x: Array, tx: Array, T: Array) -> Array:
    """Log-likelihood per customer (FHL 2005b, eq. 22) in logs; 2F1 as SciPy evaluates it."""
    return _paretonbd_terms(np.asarray(params, dtype=float), x, tx, T)[0]


def _paretonbd_terms(params: Array, x: Array, tx: Array, T: Array) -> tuple[Array, Array, Array]:
    """(log-likelihood, log of the 'alive at T' term, log of the 'died in (t_x, T]' term) per customer."""
    r, alpha, s, beta = params
    big = max(alpha, beta)
    a1 = r + s + x
    b1 = s + 1 if alpha >= beta else r + x
    c1 = r + s + x + 1
    gap = abs(alpha - beta)

    def log_f(t: Array) -> Array:
        return np.log(special.hyp2f1(a1, b1, c1, gap / (big + t))) - a1 * np.log(big + t)

    log_at_tx, log_at_T = log_f(tx), log_f(T)
    with np.errstate(divide="ignore"):  # t_x = T: the customer cannot have died in between
        log_a0 = log_at_tx + np.log(-np.expm1(np.minimum(log_at_T - log_at_tx, 0.0)))
    alive = -(r + x) * np.log(alpha + T) - s * np.log(beta + T)
    died = np.log(s) - np.log(a1) + log_a0
    ll = special.gammaln(r + x) - special.gammaln(r) + r * np.log(alpha) + s * np.log(beta) + np.logaddexp(alive, died)
    return ll, alive, died


def fit_paretonbd(frequency, recency, T, *, start=(1.0, 1.0, 1.0, 1.0)) -> Fit:
    """Pareto/NBD by maximum likelihood over the compressed summary (central-difference gradient)."""
    x, tx, t = _check_summary(frequency, recency, T)
    (x, tx, t), weights = compress(x, tx, t)

    def total(params: Array) -> float:
        return float(weights @ _paretonbd_terms(params, x, tx, t)[0])

    def gradient(params: Array) -> Array:
        return -_central_gradient(total, params)

    def negative(log_params: Array) -> tuple[float, Array]:
        params = np.exp(log_params)
        value = total(params)
        if not np.isfinite(value):
            return 1e300, np.zeros_like(params)
        return -value, gradient(params) * params

    return _maximise(
        "paretonbd", negative, np.asarray(start, float), int(weights.sum()), total, gradient, numerical_gradient=True
    )


def _central_gradient(function: Callable[[Array], float], params: Array) -> Array:
    grad = np.empty_like(params)
    for i in range(params.size):
        step = 1e-6 * max(abs(params[i]), 1e-4)
        up, down = params.copy(), params.copy()
        up[i] += step
        down[i] -= step
        grad[i] = (function(up) - function(down)) / (2 * step)
    return grad


def paretonbd_probability_alive(params, x, tx, T) -> Array:
    x, tx, T = (np.asarray(v, dtype=float) for v in (x, tx, T))
    _ll, alive, died = _paretonbd_terms(np.asarray(params, dtype=float), x, tx, T)
    return special.expit(alive - died)


def paretonbd_expected_purchases(params, t, x, tx, T) -> Array:
    """E[purchases in (T, T + t] | x, t_x, T] (FHL 2005b, eq. 27); the s = 1 limit is taken where it applies."""
    r, alpha, s, beta = params
    x, tx, T, t = (np.asarray(v, dtype=float) for v in (x, tx, T, t))
    log_ratio = np.log1p(t / (beta + T))
    spread = -np.expm1(-(s - 1) * log_ratio) / (s - 1) if abs(s - 1) > 1e-9 else log_ratio
    rate = (r + x) * (beta + T) / (alpha + T)
    return rate * spread * paretonbd_probability_alive(params, x, tx, T)


def paretonbd_expected_purchases_new(params, t) -> Array:
    r, alpha, s, beta = params
    t = np.asarray(t, dtype=float)
    log_ratio = np.log1p(t / beta)
    spread = -np.expm1(-(s - 1) * log_ratio) / (s - 1) if abs(s - 1) > 1e-9 else log_ratio
    return r * beta / alpha * spread


# --- Gamma-Gamma ---------------------------------------------------------------------------------


def gammagamma_log_likelihood(params, x: Array, mean_value: Array) -> Array:
    """Log-likelihood of each repeat customer's mean transaction value (Fader & Hardie 2013, eq. 5)."""
    return _gammagamma(np.asarray(params, dtype=float), x, mean_value, with_gradient=False)[0]


def _gammagamma(params: Array, x: Array, m: Array, *, with_gradient: bool):
    p, q, gamma = params
    gl, dg = special.gammaln, special.digamma
    px = p * x
    log_total = np.log(gamma + m * x)
    ll = gl(px + q) - gl(px) - gl(q) + q * np.log(gamma) + (px - 1) * np.log(m) + px * np.log(x) - (px + q) * log_total
    if not with_gradient:
        return ll, None
    d_p = x * (dg(px + q) - dg(px) + np.log(m) + np.log(x) - log_total)
    d_q = dg(px + q) - dg(q) + np.log(gamma) - log_total
    d_gamma = q / gamma - (px + q) / (gamma + m * x)
    return ll, np.stack([d_p, d_q, d_gamma])


def fit_gammagamma(frequency, monetary_value, *, start=(1.0, 1.0, 1.0)) -> Fit:
    """Gamma-Gamma over the customers with repeat purchases and a positive mean value (analytic gradient)."""
    x = np.asarray(frequency, dtype=float)
    m = np.asarray(monetary_value, dtype=float)
    keep = (x > 0) & (m > 0)
    if not keep.any():
        raise ValueError("Gamma-Gamma needs customers with repeat purchases of a positive value; there are none")
    (x, m), weights = compress(x[keep], m[keep])

    def negative(log_params: Array) -> tuple[float, Array]:
        params = np.exp(log_params)
        ll, grad = _gammagamma(params, x, m, with_gradient=True)
        return -float(weights @ ll), -(grad @ weights) * params

    def gradient(params: Array) -> Array:
        return -(_gammagamma(params, x, m, with_gradient=True)[1] @ weights)

    return _maximise("gammagamma", negative, np.asarray(start, float), int(weights.sum()),
                     lambda p: weights @ _gammagamma(p, x, m, with_gradient=False)[0], gradient)


def gammagamma_expected_spend(params, x, mean_value) -> Array:
    """E[spend per transaction | x, mean value]; the population mean p·γ/(q − 1) without repeats."""
    p, q, gamma = params
    x = np.asarray(x, dtype=float)
    m = np.where(x > 0, np.asarray(mean_value, dtype=float), 0.0)
    return p * (gamma + m * x) / (p * x + q - 1)


# --- lifetime value ----------------------------------------------------------------------------


def customer_lifetime_value(
    expected_purchases: Callable[[float], Array],
    expected_spend: Array,
    *,
    horizon: float,
    step: float,
    annual_discount_rate: float,
    steps_per_year: float,
) -> Array:
    """Σ over the steps in the horizon of (purchases expected in the step) × spend, discounted per step.

    ``expected_purchases(t)`` gives each customer's expected purchases within t time units; with
    monthly steps this is the definition ``lifetimes`` uses (discounting each month's value).
    """
    rate = (1 + annual_discount_rate) ** (1 / steps_per_year) - 1
    value = np.zeros_like(np.asarray(expected_spend, dtype=float))
    previous = expected_purchases(0.0)
    count = int(np.ceil(horizon / step - 1e-9))
    for i in range(1, count + 1):
        current = expected_purchases(min(i * step, horizon))
        value += (current - previous) * expected_spend / (1 + rate) ** i
        previous = current
    return value


def cumulative_repeat_purchases(
    expected_new: Callable[[Array], Array], first_purchase: Array, periods: Array
) -> Array:
    """Expected cumulative repeat purchases of a cohort at the end of each period (the tracking plot of
    FHL 2005a, figure 2): Σ over customers of E[X(period − first purchase)] for those already acquired.

    ``first_purchase`` and ``periods`` are in the model's time unit from a common origin.
    """
    first_purchase = np.asarray(first_purchase, dtype=float)
    periods = np.asarray(periods, dtype=float)
    times, counts = np.unique(first_purchase, return_counts=True)
    elapsed = np.clip(periods[:, None] - times[None, :], 0.0, None)
    return (expected_new(elapsed.ravel()).reshape(elapsed.shape) * counts).sum(axis=1)


@dataclass(frozen=True)
class Predictions:
    p_alive: Array
    expected_purchases: Array  # within `horizon_days`
    expected_spend: Array  # per purchase
    clv: Array  # over `clv_days`, discounted month by month


def predict(
    summary: dict[str, Array],
    *,
    purchase_model: str,
    purchase_params,
    spend_params,
    horizon_days: float,
    clv_days: float,
    time_unit: str,
    annual_discount_rate: float,
) -> Predictions:
    """Every customer's figures from fitted parameters: BG/NBD or Pareto/NBD for the purchases, Gamma-Gamma
    for the spend (``spend_params`` None: no spend model, so spend and CLV are 0)."""
    unit = _unit(time_unit)
    x, tx, t = summary["frequency"], summary["recency"], summary["T"]
    if purchase_model == "bgnbd":
        alive = bgnbd_probability_alive(purchase_params, x, tx, t)

        def expected(within):
            return bgnbd_expected_purchases(purchase_params, within, x, tx, t)
    elif purchase_model == "paretonbd":
        alive = paretonbd_probability_alive(purchase_params, x, tx, t)

        def expected(within):
            return paretonbd_expected_purchases(purchase_params, within, x, tx, t)
    else:
        raise ValueError(f"purchase_model must be bgnbd or paretonbd, got {purchase_model!r}")
    spend = (np.zeros(np.shape(x)) if spend_params is None
             else gammagamma_expected_spend(spend_params, x, summary["monetary_value"]))
    month = DAYS_PER_YEAR / 12 / unit
    value = customer_lifetime_value(expected, spend, horizon=clv_days / unit, step=month,
                                    annual_discount_rate=annual_discount_rate, steps_per_year=12)
    return Predictions(p_alive=alive, expected_purchases=expected(horizon_days / unit), expected_spend=spend, clv=value)
