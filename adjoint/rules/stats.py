"""Rules for scipy.stats distributions (registered only when scipy is installed),
called as methods of scipy's distribution objects: norm.logpdf(x, loc, scale).

`norm.logpdf` is a fresh bound method each time it is read, but bound methods of the
same function on the same object compare equal, so the rule registered under one finds
every other; the compiler resolves `norm.logpdf` (and `scipy.stats.norm.logpdf`) to it.

Gradients:
- norm, t, gamma, beta, chi2 (logpdf, pdf, cdf, logcdf, sf, logsf): to x, loc and scale;
  the densities also to the shape parameters (t's df, gamma's a, beta's a and b, chi2's
  df). The cdf-like functions give none to shape parameters (no closed form): passing
  one that depends on the values differentiated is refused, never a zero.
- poisson (logpmf, pmf, cdf, sf): to mu; the count k and loc have none.
- dirichlet (logpdf, pdf): to x and alpha, components on x's first axis.
- multivariate_normal (logpdf, pdf, entropy): to x, mean and cov (a matrix, a vector of
  variances, or one variance); the cov gradient is the symmetric one. Not
  allow_singular=True with a singular cov.
"""
try:
    import scipy.stats as stats
except ImportError:  # scipy is optional
    stats = None

if stats is not None:
    from ..runtime.stats import (beta_grads, chi2_grads, dirichlet_grads, gamma_grads,
                                 mvn_entropy_grads, mvn_grads, norm_grads, poisson_mu_grad,
                                 t_grads)
    from .registry import rule

    LOC_SCALE = ("loc", "scale")

    @rule(stats.norm.logpdf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_logpdf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "logpdf")

    @rule(stats.norm.pdf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_pdf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "pdf")

    @rule(stats.norm.cdf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_cdf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "cdf")

    @rule(stats.norm.logcdf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_logcdf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "logcdf")

    @rule(stats.norm.sf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_sf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "sf")

    @rule(stats.norm.logsf, elementwise=True, differentiable=LOC_SCALE)
    def d_norm_logsf(g, y, x, loc=0.0, scale=1.0):
        return norm_grads(g, y, x, loc, scale, "logsf")

    @rule(stats.t.logpdf, elementwise=True, differentiable=('df', "loc", "scale"))
    def d_t_logpdf(g, y, x, df, loc=0.0, scale=1.0):
        return t_grads(g, y, x, df, loc, scale, "logpdf")

    @rule(stats.t.pdf, elementwise=True, differentiable=('df', "loc", "scale"))
    def d_t_pdf(g, y, x, df, loc=0.0, scale=1.0):
        return t_grads(g, y, x, df, loc, scale, "pdf")

    @rule(stats.t.cdf, elementwise=True, differentiable=LOC_SCALE)
    def d_t_cdf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return t_grads(g, y, x, df, loc, scale, "cdf")

    @rule(stats.t.logcdf, elementwise=True, differentiable=LOC_SCALE)
    def d_t_logcdf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return t_grads(g, y, x, df, loc, scale, "logcdf")

    @rule(stats.t.sf, elementwise=True, differentiable=LOC_SCALE)
    def d_t_sf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return t_grads(g, y, x, df, loc, scale, "sf")

    @rule(stats.t.logsf, elementwise=True, differentiable=LOC_SCALE)
    def d_t_logsf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return t_grads(g, y, x, df, loc, scale, "logsf")

    @rule(stats.gamma.logpdf, elementwise=True, differentiable=('a', "loc", "scale"))
    def d_gamma_logpdf(g, y, x, a, loc=0.0, scale=1.0):
        return gamma_grads(g, y, x, a, loc, scale, "logpdf")

    @rule(stats.gamma.pdf, elementwise=True, differentiable=('a', "loc", "scale"))
    def d_gamma_pdf(g, y, x, a, loc=0.0, scale=1.0):
        return gamma_grads(g, y, x, a, loc, scale, "pdf")

    @rule(stats.gamma.cdf, elementwise=True, differentiable=LOC_SCALE)
    def d_gamma_cdf(g, y, x, a=None, loc=0.0, scale=1.0):
        """No gradient to a (refused where one is needed)."""
        return gamma_grads(g, y, x, a, loc, scale, "cdf")

    @rule(stats.gamma.logcdf, elementwise=True, differentiable=LOC_SCALE)
    def d_gamma_logcdf(g, y, x, a=None, loc=0.0, scale=1.0):
        """No gradient to a (refused where one is needed)."""
        return gamma_grads(g, y, x, a, loc, scale, "logcdf")

    @rule(stats.gamma.sf, elementwise=True, differentiable=LOC_SCALE)
    def d_gamma_sf(g, y, x, a=None, loc=0.0, scale=1.0):
        """No gradient to a (refused where one is needed)."""
        return gamma_grads(g, y, x, a, loc, scale, "sf")

    @rule(stats.gamma.logsf, elementwise=True, differentiable=LOC_SCALE)
    def d_gamma_logsf(g, y, x, a=None, loc=0.0, scale=1.0):
        """No gradient to a (refused where one is needed)."""
        return gamma_grads(g, y, x, a, loc, scale, "logsf")

    @rule(stats.beta.logpdf, elementwise=True, differentiable=('a', 'b', "loc", "scale"))
    def d_beta_logpdf(g, y, x, a, b, loc=0.0, scale=1.0):
        return beta_grads(g, y, x, a, b, loc, scale, "logpdf")

    @rule(stats.beta.pdf, elementwise=True, differentiable=('a', 'b', "loc", "scale"))
    def d_beta_pdf(g, y, x, a, b, loc=0.0, scale=1.0):
        return beta_grads(g, y, x, a, b, loc, scale, "pdf")

    @rule(stats.beta.cdf, elementwise=True, differentiable=LOC_SCALE)
    def d_beta_cdf(g, y, x, a=None, b=None, loc=0.0, scale=1.0):
        """No gradient to a or b (refused where one is needed)."""
        return beta_grads(g, y, x, a, b, loc, scale, "cdf")

    @rule(stats.beta.logcdf, elementwise=True, differentiable=LOC_SCALE)
    def d_beta_logcdf(g, y, x, a=None, b=None, loc=0.0, scale=1.0):
        """No gradient to a or b (refused where one is needed)."""
        return beta_grads(g, y, x, a, b, loc, scale, "logcdf")

    @rule(stats.beta.sf, elementwise=True, differentiable=LOC_SCALE)
    def d_beta_sf(g, y, x, a=None, b=None, loc=0.0, scale=1.0):
        """No gradient to a or b (refused where one is needed)."""
        return beta_grads(g, y, x, a, b, loc, scale, "sf")

    @rule(stats.beta.logsf, elementwise=True, differentiable=LOC_SCALE)
    def d_beta_logsf(g, y, x, a=None, b=None, loc=0.0, scale=1.0):
        """No gradient to a or b (refused where one is needed)."""
        return beta_grads(g, y, x, a, b, loc, scale, "logsf")

    @rule(stats.chi2.logpdf, elementwise=True, differentiable=('df', "loc", "scale"))
    def d_chi2_logpdf(g, y, x, df, loc=0.0, scale=1.0):
        return chi2_grads(g, y, x, df, loc, scale, "logpdf")

    @rule(stats.chi2.pdf, elementwise=True, differentiable=('df', "loc", "scale"))
    def d_chi2_pdf(g, y, x, df, loc=0.0, scale=1.0):
        return chi2_grads(g, y, x, df, loc, scale, "pdf")

    @rule(stats.chi2.cdf, elementwise=True, differentiable=LOC_SCALE)
    def d_chi2_cdf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return chi2_grads(g, y, x, df, loc, scale, "cdf")

    @rule(stats.chi2.logcdf, elementwise=True, differentiable=LOC_SCALE)
    def d_chi2_logcdf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return chi2_grads(g, y, x, df, loc, scale, "logcdf")

    @rule(stats.chi2.sf, elementwise=True, differentiable=LOC_SCALE)
    def d_chi2_sf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return chi2_grads(g, y, x, df, loc, scale, "sf")

    @rule(stats.chi2.logsf, elementwise=True, differentiable=LOC_SCALE)
    def d_chi2_logsf(g, y, x, df=None, loc=0.0, scale=1.0):
        """No gradient to df (refused where one is needed)."""
        return chi2_grads(g, y, x, df, loc, scale, "logsf")

    @rule(stats.poisson.logpmf, elementwise=True)
    def d_poisson_logpmf(g, y, k, mu, loc=0):
        return None, poisson_mu_grad(g, y, k, mu, loc, "logpmf")

    @rule(stats.poisson.pmf, elementwise=True)
    def d_poisson_pmf(g, y, k, mu, loc=0):
        return None, poisson_mu_grad(g, y, k, mu, loc, "pmf")

    @rule(stats.poisson.cdf, elementwise=True)
    def d_poisson_cdf(g, y, k, mu, loc=0):
        return None, poisson_mu_grad(g, y, k, mu, loc, "cdf")

    @rule(stats.dirichlet.logpdf, elementwise=False)
    def d_dirichlet_logpdf(g, y, x, alpha):
        return dirichlet_grads(g, y, x, alpha, "logpdf")

    @rule(stats.dirichlet.pdf, elementwise=False)
    def d_dirichlet_pdf(g, y, x, alpha):
        return dirichlet_grads(g, y, x, alpha, "pdf")

    @rule(stats.multivariate_normal.logpdf, elementwise=False, differentiable=("mean", "cov"))
    def d_multivariate_normal_logpdf(g, y, x, mean=None, cov=1, allow_singular=False):
        return mvn_grads(g, y, x, mean, cov, "logpdf")

    @rule(stats.multivariate_normal.pdf, elementwise=False, differentiable=("mean", "cov"))
    def d_multivariate_normal_pdf(g, y, x, mean=None, cov=1, allow_singular=False):
        return mvn_grads(g, y, x, mean, cov, "pdf")

    @rule(stats.multivariate_normal.entropy, elementwise=False, differentiable=("mean", "cov"))
    def d_multivariate_normal_entropy(g, y, mean=None, cov=1):
        return mvn_entropy_grads(g, mean, cov)
