"""Small real-valued programs using the library functions autograd differentiates, for
tests/test_library_programs.py (each output weighted by a fixed non-uniform array)."""
import numpy as np

R = np.random.default_rng(11)
W4 = R.normal(size=4)
W6 = R.normal(size=6)
W8 = R.normal(size=8)
W23 = R.normal(size=(2, 3))
W34 = R.normal(size=(3, 4))
H8 = R.normal(size=8) + 1j * R.normal(size=8)  # a complex filter (a global constant)


class Indexer:  # an object whose __getitem__ computes: adjoint cannot see inside
    def __getitem__(self, index):
        return index * 2.0


INDEXER = Indexer()


def power_spectrum(x):
    return np.sum(np.abs(np.fft.fft(x)) ** 2 * W8)


def filtered(x):
    return np.sum(np.real(np.fft.ifft(np.fft.fft(x) * H8)) * W8)


def spectrum_parts(x):
    f = np.fft.rfft(x)
    return np.sum(f.real * W8[:5]) + np.sum(np.imag(f) ** 2) + np.sum(np.angle(f[1:4]) * W4[:3])


def conj_product(x):
    f = np.fft.fft(x)
    return np.sum(np.real(f * np.conj(f)) * W8)


def round_trip_2d(x):
    spectrum = np.fft.rfft2(x)
    return np.sum(np.fft.irfft2(spectrum * np.abs(spectrum), s=x.shape) * W34)


def shifted(x):
    return np.sum(np.abs(np.fft.fftshift(np.fft.fftn(x))) * W34)


def complex_divide(x, w):
    f = np.fft.fft(x)
    return np.sum(np.abs(f / (w + 2.0)) * W8)


def as_complex(x):
    return np.sum(np.abs(x.astype(complex) * H8) * W8)


def exp_phase(x):
    return np.sum(np.real(np.exp(np.fft.fft(x) * 0.1)) * W8)


def einsum_sublist(x):
    return np.sum(np.einsum(x, (0, 1), (1, 0)) * W23.T)


def einsum_ellipsis(x, y):
    return np.sum(np.einsum("...ij,jk->...ik", x, y) * W23[:, :2].reshape(1, 2, 2))


def einsum_three(a, b, c):
    return np.einsum("ij,jk,k->i", a, b, c) @ W23[:, 0]


def einsum_one(x):
    return np.einsum("ii", x @ x.T)


def r_concat(x):
    return np.sum(np.r_[x[0], 0.5, x[1], 0:2] * W8[:7])


def c_concat(x):
    return np.sum(np.c_[x[0], x[1]] * W23.T)


def partitioned(x):
    return np.sum(np.partition(x, 2) * W6)


def spatial_gradient(x):
    return np.sum(np.gradient(x, 0.5) * W6)


def spatial_gradient_2d(x):
    dy, dx = np.gradient(x, 0.3, 2.0)
    return np.sum(dy * W34) + np.sum(dx ** 2)


def rolled(x):
    return np.sum(np.rollaxis(x, 1) * W23.T)


def fft_of_tanh_refused(x):
    return np.sum(np.abs(np.tanh(np.fft.fft(x))))


def unknown_indexer(x):
    return np.sum(INDEXER[x])


def spacing_refused(x):
    return np.sum(np.gradient(x, x[0] + 2.0))


# scipy.stats, called as methods of scipy's distribution objects ---------------------------
import scipy.stats  # noqa: E402
from scipy.stats import norm, t, multivariate_normal as mvn, poisson, gamma  # noqa: E402

COV = np.array([[1.0, 0.3], [0.3, 0.8]])
POINTS = R.normal(size=(5, 2))
COUNTS = np.array([0, 2, 1, 4])


def normal_likelihood(mu, log_sigma):
    return np.sum(norm.logpdf(W6, mu, np.exp(log_sigma)))


def normal_by_module_path(x):
    return np.sum(scipy.stats.norm.cdf(x, loc=0.3, scale=1.5) * W6)


def student_tail(x, df):
    return np.sum(t.logpdf(x, df) * W6) + np.sum(t.logsf(x, 4.0))


def gmm_objective(means, log_weights):
    weights = np.exp(log_weights) / np.sum(np.exp(log_weights))
    first = mvn.logpdf(POINTS, means[0], COV) + np.log(weights[0])
    second = mvn.logpdf(POINTS, means[1], COV) + np.log(weights[1])
    top = np.maximum(first, second)
    return np.sum(top + np.log(np.exp(first - top) + np.exp(second - top)))


def poisson_regression(w):
    rate = np.exp(W4 * w)
    return np.sum(poisson.logpmf(COUNTS, rate))


def gamma_prior(a):
    return np.sum(gamma.logpdf(np.abs(W6) + 0.1, a))


def t_cdf_df_refused(x):
    return np.sum(t.cdf(W6, x[0] + 3.0))


def astype_float64(x):
    return np.sum(x.astype(np.float64) * W6) + np.sum(x.astype(float) ** 2)


class Scaler:  # a callable object: adjoint differentiates its __call__
    def __call__(self, x):
        return 2.0 * x


SCALER = Scaler()


def unknown_callable(x):
    return np.sum(SCALER(x))


M44 = R.normal(size=(4, 4)) + 1j * R.normal(size=(4, 4))


def complex_products(x):
    f = np.fft.fft(x)
    g = M44 @ f[:4] + np.matmul(f[4:], M44)
    h = np.multiply(g, np.conj(f[:4])) + np.divide(f[4:], g + 3.0) + np.square(f[:4]) + f[4:] ** 3
    return np.sum(np.abs(h) * W4)


def real_matrix_times_complex(w):
    return np.sum(np.imag(w @ M44) * W34)
