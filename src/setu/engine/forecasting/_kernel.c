/* Optional compiled kernel of setu.engine.forecasting: golden-section-optimised SES.
 *
 * One function, golden_ses(values, offsets, order, lower, upper, golden_ratio, tol, alpha_out,
 * forecast_out), does for every series exactly what the pure-numpy path of _ses.py does
 * (golden_alpha, then ses_last), which is itself operation for operation statsforecast 2.x's
 * golden_section_ses / ses_sse / ses_forecast (src/ses.cpp):
 *
 *   level   g_0 = x_0, g_{i+1} = alpha * x_i + (1 - alpha) * g_i
 *   SSE     sum_{i>=1} (x_i - g_i)^2 in time order
 *   search  golden section on [lower, upper] until |b - a| < tol or fc == fd; alpha = (b + a) / 2
 *   result  forecast g_len (x_0 when len == 1)
 *
 * Series are ragged and series-major: series i is values[offsets[i] .. offsets[i + 1]).  They are
 * processed in the order given by `order` through W lanes: every lane holds one series and its
 * own search state; one round evaluates the SSE of every lane at that lane's next point, with the
 * loop over lanes innermost so that the compiler vectorises it; a lane whose search has ended
 * takes the next series at once.  Only IEEE additions, subtractions, multiplications and
 * divisions are used, in the same order as the scalar reference, and the file must be compiled
 * without floating-point contraction (-ffp-contract=off, no -ffast-math): the results are then
 * bit-identical to the numpy path whatever the vector width.  Why a compiled kernel at all: see
 * docs/architecture.md ("Decision: a compiled kernel for the optimised smoothing methods").
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef W
#define W 32 /* lanes */
#endif

/* One copy of the search per instruction set, chosen at load time (GCC on x86-64 Linux). */
#ifndef SETU_CLONES
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define SETU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SETU_CLONES
#endif
#endif

typedef struct {
    double a[W], b[W], c[W], d[W], fc[W], fd[W], p[W], kx[W], kf[W], gf[W];
    int64_t len[W], id[W];
    uint64_t phase[W], left[W], stop[W]; /* phase 0..3; left and stop are all-ones / zero masks */
} lanes_t;

/* Branch-free select on a mask (all ones: x, zero: y): the lane update below is written with it so
 * that compilers vectorise it for every instruction set (a plain ?: does not vectorise for AVX2). */
#define MASK(cond) ((uint64_t)0 - (uint64_t)(cond))
static inline double sel(uint64_t m, double x, double y) {
    uint64_t a, b, r;
    double o;
    memcpy(&a, &x, 8);
    memcpy(&b, &y, 8);
    r = (a & m) | (b & ~m);
    memcpy(&o, &r, 8);
    return o;
}

SETU_CLONES
static void golden_run(const double *values, const int64_t *offsets, const int64_t *order, int64_t n,
                       double lower, double upper, double gr, double tol, double *alpha_out,
                       double *forecast_out, double *Xb, lanes_t *L) {
    int64_t q = 0;
    double al[W], s[W];
    /* fill (or refill) one lane with the next series that needs a search */
#define LOAD(j)                                                                       \
    do {                                                                              \
        L->id[j] = -1;                                                                \
        L->len[j] = 0;                                                                \
        L->p[j] = 0.5;                                                                \
        while (q < n) {                                                               \
            int64_t i_ = order[q++];                                                  \
            int64_t o_ = offsets[i_], n_ = offsets[i_ + 1] - o_;                      \
            if (n_ < 2) { /* flat zero SSE: the search stops at once */              \
                alpha_out[i_] = (upper + lower) / 2.0;                                \
                forecast_out[i_] = n_ == 1 ? values[o_] : 0.0;                        \
                continue;                                                             \
            }                                                                         \
            for (int64_t t_ = 0; t_ < n_; t_++) Xb[t_ * W + (j)] = values[o_ + t_];   \
            L->id[j] = i_;                                                            \
            L->len[j] = n_;                                                           \
            L->a[j] = lower;                                                          \
            L->b[j] = upper;                                                          \
            L->c[j] = upper - (upper - lower) / gr;                                   \
            L->d[j] = lower + (upper - lower) / gr;                                   \
            L->phase[j] = 0;                                                          \
            L->p[j] = L->c[j];                                                        \
            break;                                                                    \
        }                                                                             \
    } while (0)

    for (int j = 0; j < W; j++) LOAD(j);
    for (;;) {
        int64_t K = 0, ragged = 0;
        for (int j = 0; j < W; j++) K = L->len[j] > K ? L->len[j] : K;
        if (K == 0) break;
        for (int j = 0; j < W; j++) ragged |= (L->id[j] >= 0) & (L->len[j] != K);
        /* SSE of every lane at its point p, and the level g_len after the lane's last value (its
         * forecast at p). Lanes shorter than K add exact zeros past their length. */
        double cm[W], g[W], gf[W];
        for (int j = 0; j < W; j++) {
            al[j] = L->p[j];
            cm[j] = 1.0 - al[j];
            g[j] = Xb[j];
            s[j] = 0.0;
            gf[j] = 0.0;
        }
        if (!ragged) { /* every live lane has length K (the usual case: series sorted by length) */
            for (int64_t t = 1; t < K; t++) {
                const double *xp = Xb + (t - 1) * W, *xt = Xb + t * W;
                for (int j = 0; j < W; j++) {
                    double gn = al[j] * xp[j] + cm[j] * g[j];
                    double e = xt[j] - gn;
                    s[j] += e * e;
                    g[j] = gn;
                }
            }
            const double *xp = Xb + (K - 1) * W;
            for (int j = 0; j < W; j++) gf[j] = al[j] * xp[j] + cm[j] * g[j];
        } else {
            for (int64_t t = 1; t <= K; t++) {
                const double *xp = Xb + (t - 1) * W, *xt = Xb + t * W;
                for (int j = 0; j < W; j++) {
                    double gn = al[j] * xp[j] + cm[j] * g[j];
                    double e = xt[j] - gn;
                    double e2 = e * e;
                    s[j] += sel(MASK(t < L->len[j]), e2, 0.0);
                    gf[j] = sel(MASK(t == L->len[j]), gn, gf[j]);
                    g[j] = gn;
                }
            }
        }
        /* advance every lane's search by one point, branch-free over the lanes (vectorised).
         * phase 0: f = f(c), evaluate d next; phase 1: f = f(d); phase 2: f is the new point of
         * the step taken last round (left: the new c, right: the new d); when the search stops,
         * alpha = (b + a) / 2 and phase 3 evaluates the forecast there. */
        uint64_t any_fin = 0;
        for (int j = 0; j < W; j++) {
            double f = s[j], p = L->p[j], kx = L->kx[j], kf = L->kf[j];
            double a = L->a[j], b = L->b[j], c0 = L->c[j], d0 = L->d[j], fc0 = L->fc[j], fd0 = L->fd[j];
            uint64_t ph = L->phase[j], lf = L->left[j], live = MASK(L->id[j] >= 0);
            uint64_t is0 = MASK(ph == 0), is1 = MASK(ph == 1), is2 = MASK(ph == 2), is3 = MASK(ph == 3);
            double c = sel(is2, sel(lf, p, kx), c0);
            double d = sel(is2, sel(lf, kx, p), d0);
            double fc = sel(is2, sel(lf, f, kf), sel(is0, f, fc0));
            double fd = sel(is2, sel(lf, kf, f), sel(is1, f, fd0));
            uint64_t stop = (MASK(fabs(b - a) < tol) | MASK(fc == fd)) & (is1 | is2);
            uint64_t left = MASK(fc < fd);
            double na = sel(left, a, c);
            double nb = sel(left, d, b);
            double w = (nb - na) / gr;
            double np = sel(left, nb - w, na + w);
            uint64_t move = (is1 | is2) & ~stop;
            double mid = (b + a) / 2.0;
            L->c[j] = c;
            L->d[j] = d;
            L->fc[j] = fc;
            L->fd[j] = fd;
            L->a[j] = sel(move, na, a);
            L->b[j] = sel(move, nb, b);
            L->kx[j] = sel(move, sel(left, c, d), kx);
            L->kf[j] = sel(move, sel(left, fc, fd), kf);
            L->left[j] = (move & left) | (~move & lf);
            L->p[j] = sel(is0, d, sel(stop, mid, sel(move, np, p)));
            L->phase[j] = (is0 & 1) | ((is1 | is2) & 2) | (stop & 1) | (is3 & 3);
            L->gf[j] = gf[j];
            uint64_t fin = is3 & live;
            L->stop[j] = fin;
            any_fin |= fin;
        }
        if (!any_fin) continue;
        for (int j = 0; j < W; j++) {
            if (!L->stop[j]) continue;
            int64_t i = L->id[j];
            alpha_out[i] = L->p[j];
            forecast_out[i] = L->gf[j];
            L->stop[j] = 0;
            LOAD(j);
        }
    }
#undef LOAD
}

static int check_buffer(Py_buffer *buf, Py_ssize_t items, const char *name) {
    if (buf->len != items * 8) {
        PyErr_Format(PyExc_ValueError, "%s: expected %zd 8-byte items, got %zd bytes", name, items, buf->len);
        return -1;
    }
    return 0;
}

static PyObject *py_golden_ses(PyObject *self, PyObject *args) {
    Py_buffer v, off, ord, aout, fout;
    double lower, upper, gr, tol;
    (void)self;
    if (!PyArg_ParseTuple(args, "y*y*y*ddddw*w*", &v, &off, &ord, &lower, &upper, &gr, &tol, &aout, &fout))
        return NULL;
    PyObject *result = NULL;
    Py_ssize_t n = ord.len / 8;
    const int64_t *offsets = (const int64_t *)off.buf;
    const int64_t *order = (const int64_t *)ord.buf;
    if (check_buffer(&off, n + 1, "offsets") || check_buffer(&aout, n, "alpha_out") ||
        check_buffer(&fout, n, "forecast_out"))
        goto done;
    int64_t maxlen = 1;
    int bad = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t l = offsets[i + 1] - offsets[i];
        if (l < 0 || offsets[i] < 0 || offsets[i + 1] * 8 > v.len) bad = 1;
        if (l > maxlen) maxlen = l;
    }
    for (Py_ssize_t i = 0; i < n && !bad; i++)
        if (order[i] < 0 || order[i] >= n) bad = 1;
    if (bad) {
        PyErr_SetString(PyExc_ValueError, "offsets or order out of range");
        goto done;
    }
    double *Xb = (double *)calloc((size_t)(maxlen + 1) * W, sizeof(double));
    lanes_t *L = (lanes_t *)calloc(1, sizeof(lanes_t));
    if (!Xb || !L) {
        free(Xb);
        free(L);
        PyErr_NoMemory();
        goto done;
    }
    Py_BEGIN_ALLOW_THREADS
    golden_run((const double *)v.buf, offsets, order, (int64_t)n, lower, upper, gr, tol,
               (double *)aout.buf, (double *)fout.buf, Xb, L);
    Py_END_ALLOW_THREADS
    free(Xb);
    free(L);
    result = Py_None;
    Py_INCREF(result);
done:
    PyBuffer_Release(&v);
    PyBuffer_Release(&off);
    PyBuffer_Release(&ord);
    PyBuffer_Release(&aout);
    PyBuffer_Release(&fout);
    return result;
}

static PyMethodDef methods[] = {
    {"golden_ses", py_golden_ses, METH_VARARGS,
     "golden_ses(values, offsets, order, lower, upper, golden_ratio, tol, alpha_out, forecast_out)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_kernel", "Compiled golden-section SES kernel.", -1,
                                    methods};

PyMODINIT_FUNC PyInit__kernel(void) { return PyModule_Create(&module); }
