"""Students' layers for the grading tests, written as the sprints' students write them (NumPy
only, no sprintlib), each with a ``mistake`` switch that injects one mistake students
really make (or several: ``Mistakes(...)``). ``mistake=None`` is a right answer."""
import numpy as np


class Mistakes(tuple):
    """Several mistakes at once, ``mistake=Mistakes("flipped", "no bias")``: equal to each of
    them, so that a student's ``self.mistake == "flipped"`` holds for every one."""

    def __eq__(self, other):
        return other in tuple(self) if isinstance(other, str) else tuple.__eq__(self, other)

    def __ne__(self, other):
        return not self == other

    __hash__ = tuple.__hash__


def _pair(v):
    return (v, v) if np.isscalar(v) else tuple(v)


class StudentConv2d:
    """Sprint 2's student Conv2d: a loop over the filter's offsets (with a batch axis).

    Mistakes: "flipped" and "transposed" read W flipped or with its spatial axes swapped;
    "mean dB" averages dB over the batch and positions (as the sprint's student did);
    "mean dW" divides dW by the batch size; "uncropped" returns the padded input's dX;
    "NHWC" returns A channels last; "no dB" never sets dB; "no return" returns None; "no bias"
    leaves B out of A; "no +1" computes the output size without its + 1; "scrambled" is seed
    003's reshape of the im2col product straight to (N, C, OH, OW); "assigned" loops over the
    output positions and assigns (=) each window's share of dX where overlapping windows add;
    "running total" is the dX of "Sprint13" (a student's 2-D notebook), whose accumulator is reset once a channel, not once an entry;
    "backward raises" raises a ValueError; "stride ignored" slides its windows 1 entry at a time;
    "dB batch only" sums dA over the batch alone (an FC layer's np.sum(dA, axis=0)); "W reshaped"
    multiplies im2col's columns by W.reshape(-1, C_out) (each column not one filter's entries).
    """

    def __init__(self, in_channels=1, out_channels=2, filter_size=3, stride=1, pad=0, mistake=None):
        FH, FW = _pair(filter_size)
        self.W, self.B = np.zeros((out_channels, in_channels, FH, FW)), np.zeros(out_channels)
        self.stride, self.pad, self.mistake = _pair(stride), _pair(pad), mistake
        if mistake == "stride ignored":  # windows 1 entry apart, whatever stride it is given
            self.stride = (1, 1)

    def _kernel(self):
        if self.mistake == "flipped":
            return self.W[..., ::-1, ::-1]
        if self.mistake == "W reshaped":  # im2col's product with W.reshape(-1, C_out), not W.reshape(C_out, -1).T
            return self.W.reshape(-1, len(self.W)).T.reshape(self.W.shape)
        return self.W.swapaxes(-1, -2) if self.mistake == "transposed" else self.W

    def _windows(self, OH, OW):
        """For each filter offset (i, j), the slices of the padded input it meets."""
        (SH, SW), (FH, FW) = self.stride, self.W.shape[2:]
        for i in range(FH):
            for j in range(FW):
                yield i, j, (slice(None), slice(None), slice(i, i + SH * OH, SH), slice(j, j + SW * OW, SW))

    def forward(self, X):
        (PH, PW), (SH, SW) = self.pad, self.stride
        self.Xp = np.pad(X, ((0, 0), (0, 0), (PH, PH), (PW, PW)))
        FH, FW = self.W.shape[2:]
        one = 0 if self.mistake == "no +1" else 1
        OH, OW = (self.Xp.shape[2] - FH) // SH + one, (self.Xp.shape[3] - FW) // SW + one
        W = self._kernel()
        A = np.zeros((len(X), len(W), OH, OW)) + (0 if self.mistake == "no bias" else self.B[:, None, None])
        for i, j, window in self._windows(OH, OW):
            A += np.einsum("nchw,oc->nohw", self.Xp[window], W[:, :, i, j])
        if self.mistake == "scrambled":  # the product's rows run over (n, oh, ow), its columns over channels
            product = A.transpose(0, 2, 3, 1).reshape(-1, A.shape[1])
            return product.reshape(A.shape)
        return A.transpose(0, 2, 3, 1) if self.mistake == "NHWC" else A

    def backward(self, dA):
        W, (PH, PW) = self._kernel(), self.pad
        dXp, dW = np.zeros_like(self.Xp), np.zeros_like(W)
        for i, j, window in self._windows(*dA.shape[2:]):
            dW[:, :, i, j] = np.einsum("nohw,nchw->oc", dA, self.Xp[window])
            dXp[window] += np.einsum("nohw,oc->nchw", dA, W[:, :, i, j])
        dW = self._kernel_layout(dW)
        self.dW = dW / len(dA) if self.mistake == "mean dW" else dW
        if self.mistake != "no dB":
            self.dB = (dA.mean(axis=(0, 2, 3)) if self.mistake == "mean dB" else dA.sum(axis=0)
                       if self.mistake == "dB batch only" else dA.sum(axis=(0, 2, 3)))
        if self.mistake == "assigned":  # a loop over the output positions, each window's share assigned
            (SH, SW), (FH, FW) = self.stride, W.shape[2:]
            for oh in range(dA.shape[2]):
                for ow in range(dA.shape[3]):
                    share = np.einsum("no,ocij->ncij", dA[:, :, oh, ow], W)
                    dXp[:, :, oh * SH:oh * SH + FH, ow * SW:ow * SW + FW] = share
        H, W_ = dXp.shape[2:]
        dX = dXp if self.mistake == "uncropped" else dXp[:, :, PH:H - PH, PW:W_ - PW]
        if self.mistake == "running total":  # "Sprint13": temp = 0 once a channel, dX[h, w] = the sum so far
            total = np.zeros_like(dX)
            for n in range(dX.shape[0]):
                for c in range(dX.shape[1]):
                    temp = 0.0
                    for h in range(dX.shape[2]):
                        for w in range(dX.shape[3]):
                            temp += dX[n, c, h, w]
                            total[n, c, h, w] = temp
            dX = total
        if self.mistake == "backward raises":
            raise ValueError("a student's backward that fails")
        return None if self.mistake == "no return" else dX

    def _kernel_layout(self, dW):
        """The gradient of the kernel as it was read, put back in W's layout."""
        if self.mistake == "flipped":
            return dW[..., ::-1, ::-1]
        return dW.swapaxes(-1, -2) if self.mistake == "transposed" else dW


class StudentConv1d:
    """Sprint 1's student Conv1d (X (N, C_in, L), padding P, stride S): a loop over the filter's
    offsets. Mistakes: "flipped" reads W reversed; "uncropped" returns the padded input's dX;
    "stride in dX" is the backward of the sprint-1 document
    ("Sprint 深層学習スクラッチ 畳み込みニューラルネットワーク1"), whose dX puts window i at i, F + N_out - 1 long."""

    def __init__(self, in_channels, out_channels, filter_size, pad=0, stride=1, mistake=None):
        self.W, self.B = np.zeros((out_channels, in_channels, filter_size)), np.zeros(out_channels)
        self.pad, self.stride, self.mistake = pad, stride, mistake

    def _kernel(self):
        return self.W[..., ::-1] if self.mistake == "flipped" else self.W

    def forward(self, X):
        self.Xp = np.pad(X, ((0, 0), (0, 0), (self.pad, self.pad)))
        W, S = self._kernel(), self.stride
        L = (self.Xp.shape[-1] - W.shape[-1]) // S + 1
        return sum(np.einsum("ncl,oc->nol", self.Xp[:, :, s:s + S * L:S], W[:, :, s]) for s in range(W.shape[-1])) \
            + self.B[:, None]

    def backward(self, dA):
        W, L, S = self._kernel(), dA.shape[-1], self.stride
        dXp, dW = np.zeros_like(self.Xp), np.zeros_like(W)
        for s in range(W.shape[-1]):
            dW[:, :, s] = np.einsum("nol,ncl->oc", dA, self.Xp[:, :, s:s + S * L:S])
            dXp[:, :, s:s + S * L:S] += np.einsum("nol,oc->ncl", dA, W[:, :, s])
        self.dW = dW[..., ::-1] if self.mistake == "flipped" else dW
        self.dB = dA.sum(axis=(0, 2))
        if self.mistake == "stride in dX":  # the sprint-1 document: dX[:, i:i+F] += calc[i], F + N_out - 1 long
            F = W.shape[-1]
            dX = np.zeros(dA.shape[:1] + W.shape[1:2] + (F + L - 1,))
            for i in range(L):
                dX[:, :, i:i + F] += np.einsum("no,ocf->ncf", dA[:, :, i], W)
            return dX
        return dXp if self.mistake == "uncropped" else dXp[:, :, self.pad:dXp.shape[-1] - self.pad]


class StudentMaxPool2D:
    """Sprint 2's student MaxPool2D: forward keeps each window's maximum (``argmax``);
    backward gives each window's gradient to its maximum, added up where windows overlap
    (a stride smaller than the window). "transposed" is the sprint's backward (windows side
    by side): the spread gradient of each channel transposed (``np.vstack(...).T``) before the
    mask. "assigned" assigns (=) each window's gradient, its zeros included, over the window;
    "assigned at max" assigns it at the window's maximum; "no mask" gives it to every entry
    of the window; "stride ignored" puts its windows side by side whatever stride it is given."""

    def __init__(self, pool=2, stride=None, mistake=None):
        self.P, self.S, self.mistake = pool, (pool if mistake == "stride ignored" else stride or pool), mistake

    def forward(self, X):
        N, C, H, W = X.shape
        P, S = self.P, self.S
        self.X, self.maxima = X, {}
        out = np.empty((N, C, (H - P) // S + 1, (W - P) // S + 1))
        for n in range(N):
            for c in range(C):
                for i in range(out.shape[2]):
                    for j in range(out.shape[3]):
                        window = X[n, c, i * S:i * S + P, j * S:j * S + P]
                        self.maxima[n, c, i, j] = np.unravel_index(np.argmax(window), window.shape)
                        out[n, c, i, j] = window.max()
        return out

    def backward(self, delta):
        P, S = self.P, self.S
        if self.mistake == "transposed":
            spread = np.kron(delta, np.ones((P, P))).swapaxes(-1, -2)
            mask = np.zeros(self.X.shape)
            for (n, c, i, j), (a, b) in self.maxima.items():
                mask[n, c, i * P + a, j * P + b] = 1
            return spread * mask
        dX = np.zeros(self.X.shape)
        for (n, c, i, j), (a, b) in self.maxima.items():
            window = (n, c, slice(i * S, i * S + P), slice(j * S, j * S + P))
            if self.mistake == "no mask":
                dX[window] += delta[n, c, i, j]
            elif self.mistake == "assigned":
                share = np.zeros((P, P))
                share[a, b] = delta[n, c, i, j]
                dX[window] = share
            elif self.mistake == "assigned at max":
                dX[n, c, i * S + a, j * S + b] = delta[n, c, i, j]
            else:
                dX[n, c, i * S + a, j * S + b] += delta[n, c, i, j]
        return dX


class StudentSimpleConv1d:
    """Sprint 1's student SimpleConv1d: forward by np.convolve with W reversed, backward
    as the sprint's student wrote it in its optimizer. "flipped" forgets to reverse W; "no +1"
    loops over N_in - F output positions (the + 1 of the output size left out); "dA not reversed"
    computes dW as np.convolve(X, dA) (without dA[::-1])."""

    def __init__(self, filter_size=3, mistake=None):
        self.W, self.B, self.mistake = np.zeros(filter_size), np.zeros(1), mistake

    def forward(self, X):
        self.X = X
        w = self.W if self.mistake == "flipped" else self.W[::-1]
        if self.mistake == "no +1":
            F = len(self.W)
            return np.array([X[i:i + F] @ self.W for i in range(len(X) - F)]) + self.B
        return np.convolve(X, w, mode="valid") + self.B

    def backward(self, dA):
        X, w_num = self.X, self.W.shape[0]
        self.dB = np.convolve(dA, np.ones(dA.shape[0]), mode="valid")
        self.dW = np.convolve(X, dA if self.mistake == "dA not reversed" else dA[::-1], mode="valid")
        diff = X.shape[0] - dA.shape[0]
        dA_trans = np.concatenate([np.zeros(diff), dA, np.zeros(diff)])
        return np.array([np.dot(dA_trans[i:w_num + i], self.W[::-1]) for i in range(X.shape[0])])


class StudentRNN:
    """Sprint 4's student RNN (tanh), with the time loop of its forward and the BPTT of
    its backward. Mistakes: "final state" uses the last state h_T where backward needs
    h_{t-1} (as the sprint's student did); "no W_h" leaves h_{t-1} W_h out of forward;
    "no carry" does not pass the gradient back through W_h; "carry mean" divides what it
    passes back by the batch size and "assigned" assigns (=) dW_x, dW_h and dB at each step (as
    the sprint's student did); "derivative at previous" takes tanh's derivative at h_{t-1};
    "random h0" starts from a random state, "ones h0" from ones; "time major" reshapes the list of
    states over time straight to (N, T, n_nodes) ("リカレントニューラルネットワーク"); "average dB" takes np.average(da) as
    dB's term of a step ("リカレントニューラルネットワーク"); "carry untransposed" carries da_t W_h back (not da_t W_h^T);
    "last gradient only" takes only dA[:, -1] of the upstream gradient; "global b" adds a global
    b = np.array([1]) in forward where self.B belongs ("リカレントニューラルネットワーク"); "with h0" returns h_0 .. h_T,
    "states shifted" h_0 .. h_{T-1}; "carry after derivative" adds da_{t+1} W_h^T after tanh's derivative;
    "current state" takes h_t for dW_h where step t read h_{t-1}; "derivative at pre-activation" takes
    1 - a_t^2 with a_t the pre-activation; "last state only" returns h_T alone where every state belongs."""

    def __init__(self, n_features, n_nodes, return_sequences=True, mistake=None):
        self.W_x, self.W_h, self.B = np.zeros((n_features, n_nodes)), np.zeros((n_nodes, n_nodes)), np.zeros(n_nodes)
        self.return_sequences, self.mistake = return_sequences, mistake

    def forward(self, X):
        self.X = X
        self.h = np.zeros((X.shape[0], self.W_h.shape[0]))
        if self.mistake == "random h0":
            self.h = 0.5 * np.random.default_rng().standard_normal(self.h.shape)
        elif self.mistake == "ones h0":
            self.h = np.ones_like(self.h)
        self.hs, self.pre = [self.h], []
        for t in range(X.shape[1]):
            bias = 1.0 if self.mistake == "global b" else self.B  # "リカレントニューラルネットワーク": its global b = np.array([1])
            a = X[:, t] @ self.W_x + bias + (0 if self.mistake == "no W_h" else self.h @ self.W_h)
            self.pre.append(a)
            self.h = np.tanh(a)
            self.hs.append(self.h)
        if self.mistake == "time major":  # "リカレントニューラルネットワーク": np.array(output_list).reshape(batch, T, n_nodes)
            return np.array(self.hs[1:]).reshape(X.shape[0], X.shape[1], -1)
        if self.mistake == "with h0":  # the states kept, h_0 included, returned as they are
            return np.stack(self.hs, axis=1)
        if self.mistake == "states shifted":  # h_0 .. h_{T-1}: the state each step read
            return np.stack(self.hs[:-1], axis=1)
        if self.mistake == "last state only":
            return self.h
        return np.stack(self.hs[1:], axis=1) if self.return_sequences else self.h

    def backward(self, dz):
        T = self.X.shape[1]
        if not self.return_sequences:  # only h_T reached the output
            dz = np.concatenate([np.zeros((len(dz), T - 1, dz.shape[-1])), dz[:, None]], axis=1)
        elif self.mistake == "last gradient only":  # as if only h_T reached the loss
            dz = np.concatenate([np.zeros((len(dz), T - 1, dz.shape[-1])), dz[:, -1:]], axis=1)
        self.dW_x, self.dW_h, self.dB = np.zeros_like(self.W_x), np.zeros_like(self.W_h), np.zeros_like(self.B)
        dX, dh = np.zeros_like(self.X), np.zeros_like(self.h)
        for t in reversed(range(T)):
            if self.mistake == "derivative at previous":
                state = self.hs[t]
            elif self.mistake == "derivative at pre-activation":
                state = self.pre[t]  # (1 - state^2 below)
            else:
                state = self.hs[t + 1]
            if self.mistake == "carry after derivative":
                da = dz[:, t] * (1 - state ** 2) + dh
            else:
                da = (dz[:, t] + dh) * (1 - state ** 2)
            # (== : a Mistakes of several equals each of its names)
            before = self.h if self.mistake == "final state" else self.hs[t + 1] if self.mistake == "current state" \
                else self.hs[t]
            terms = (self.X[:, t].T @ da, before.T @ da,
                     np.average(da) if self.mistake == "average dB" else da.sum(axis=0))
            if self.mistake == "assigned":
                self.dW_x, self.dW_h, self.dB = terms
            else:
                self.dW_x, self.dW_h, self.dB = self.dW_x + terms[0], self.dW_h + terms[1], self.dB + terms[2]
            dX[:, t] = da @ self.W_x.T
            dh = 0 if self.mistake in ("no carry", "no W_h") else da @ (
                self.W_h if self.mistake == "carry untransposed" else self.W_h.T)
            if self.mistake == "carry mean":
                dh = dh / len(dz)
        return dX


class StudentSigmoid:
    """Sprint 4's student Sigmoid; "one plus" is its ``1/1+np.exp(-A)``; "derivative at input"
    takes Z (1 - Z) with Z the input."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, A):
        self.A = A
        return 1/1+np.exp(-A) if self.mistake == "one plus" else 1 / (1 + np.exp(-A))  # noqa: E226

    def backward(self, dout):
        Z = self.A if self.mistake == "derivative at input" else self.forward(self.A)
        return Z * (1 - Z) * dout


class StudentTanh:
    """Sprint 4's student Tanh ("リカレントニューラルネットワーク" writes it with np.exp); "derivative at input" takes
    1 - Z^2 with Z the input."""

    def __init__(self, mistake=None):
        self.mistake = mistake

    def forward(self, A):
        self.A = A
        return (np.exp(A) - np.exp(-A)) / (np.exp(A) + np.exp(-A))

    def backward(self, dout):
        Z = self.A if self.mistake == "derivative at input" else self.forward(self.A)
        return (1 - Z ** 2) * dout


class StudentFC:
    """An FC layer; "average" takes np.average(dA) as dB (sprint 4's student), "mean" the mean over the
    batch; "no bias" leaves B out of forward, "bias twice" adds it twice."""

    def __init__(self, n1, n2, mistake=None):
        self.W, self.B, self.mistake = np.zeros((n1, n2)), np.zeros(n2), mistake

    def forward(self, X):
        self.X = X
        return X @ self.W + (0 if self.mistake == "no bias" else 2 * self.B if self.mistake == "bias twice" else self.B)

    def backward(self, dA):
        self.dW = self.X.T @ dA
        self.dB = (np.average(dA) if self.mistake == "average" else dA.mean(axis=0) if self.mistake == "mean"
                   else dA.sum(axis=0))
        return dA @ self.W.T


def student_param_count(mistake=None):
    """Sprint 2's parameter count of a convolution (in_channels, out_channels, (FH, FW)), with a
    mistake: "W only" leaves the biases out, "Sprint13" the input channels too and counts one
    bias in all (55, 433, 181)."""
    def param_count(in_channels, out_channels, filter_size):
        FH, FW = filter_size
        if mistake == "W only":
            return out_channels * in_channels * FH * FW
        if mistake == "Sprint13":
            return out_channels * FH * FW + 1
        return out_channels * in_channels * FH * FW + out_channels
    return param_count


def student_counts(mistake=None):
    """Sprint 3's summary: the parameters of each layer (W.size + B.size, 0 without weights);
    "W only" counts W alone."""
    def counts(layers):
        return np.array([int(np.size(getattr(la, "W", ()))) + (0 if mistake == "W only" else
                                                              int(np.size(getattr(la, "B", ())))) for la in layers])
    return counts
