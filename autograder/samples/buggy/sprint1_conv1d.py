# The "seeds" sample submission of sprint 1: the code a student really wrote
# (the course document "Sprint 深層学習スクラッチ
# 畳み込みニューラルネットワーク1", problems 1, 2 and 4), each cell replacing the solution cell of
# the same grade_id in the release notebook (autograder/build.py). The document's classes are
# kept as written, modernised only as far as needed to run (np.float -> float, np.int -> int);
# below each, marked "adapter", a few lines give it this notebook's interface (constructor
# arguments, backward(dA) instead of backward(dA, X)) so that the tests reach its code.
# What the grader finds: forward and the output size are right; backward computes the
# gradients but keeps dW on the optimizer and returns nothing (dX is printed, not returned).

# %% p1_solution
class SGD:
    """
    確率的勾配降下法
    Parameters
    ----------
    lr : 学習率
    """
    def __init__(self, lr=0.1):
        self.lr = lr
    def update(self, layer, dA, X):
        """
        ある層の重みやバイアスの更新
        Parameters
        ----------
        layer : 更新前の層のインスタンス
        dA : 後ろから流れてきた勾配
        """
        if len(dA.shape) == 1:
            # 各勾配の計算
            # dB = dA.sum(axis=0)
            dB = np.convolve(dA, np.array([1]*dA.shape[0]), mode='valid')
            print(dB.shape, dB)

            dW = np.convolve(X, dA[::-1], mode='valid')
            print(dW.shape, dW)
            self.dW = dW

            dX = np.zeros(X.shape[0])
            diff = X.shape[0] - dA.shape[0]
            if diff > 0:
                dA_trans = np.concatenate([np.array([0]*diff), dA, np.array([0]*diff)], axis=0)
                # 重みの数
                w_num = layer.W.shape[0]
                for i in range(X.shape[0]):
                    dX[i] = np.dot(dA_trans[i: w_num+i], layer.W[::-1])
                print(dX.shape, dX)

            # バイアス、重みの更新
            # layer.B -= dB * self.lr
            layer.B = layer.B - dB * self.lr
            # layer.W -= dW * self.lr
            layer.W = layer.W - dW * self.lr


class SeedSimpleConv1d:
    """
    チャンネル数を1に限定した1次元畳み込み層
    """
    def __init__(self, input_channels, filter_sizes, stride_sizes, initializer, optimizer):
        self.input_channels = input_channels
        self.filter_sizes = filter_sizes
        self.stride_sizes = stride_sizes
        self.optimizer = optimizer
        if initializer is None:
            self.W = np.array([3, 5, 7])
            self.B = np.array([1])

    def forward(self, X):
        # A = np.dot(X, self.W) + self.B
        if self.stride_sizes == 1:
            A = np.convolve(X, self.W[::-1], mode='valid') + self.B
        return A
    def backward(self, dA, X):
        self = self.optimizer.update(self, dA, X)


# adapter: this notebook's SimpleConv1d(filter_size, initializer, optimizer), backward(dA).
# The document's optimizer computes the gradients, so the layer keeps it whatever optimizer it is given.
class SimpleConv1d(SeedSimpleConv1d):
    param_names = ("W", "B")

    def __init__(self, filter_size, initializer=None, optimizer=None):
        self.seed_optimizer = SGD()
        super().__init__(1, filter_size, 1, None, self.seed_optimizer)

    optimizer = property(lambda self: self.seed_optimizer, lambda self, value: None)

    def forward(self, X):
        self.X_seen = X
        return super().forward(X)

    def backward(self, dA):
        return super().backward(dA, self.X_seen)

# %% p2_solution
def calc_output_nums(input_nums, paddings, filter_sizes, stride_sizes):
    output_nums = (input_nums + 2*paddings - filter_sizes) // stride_sizes + 1
    return output_nums


# adapter: this notebook's argument order
def output_size(n_in, filter_size, stride=1, pad=0):
    return calc_output_nums(n_in, pad, filter_size, stride)

# %% p4_solution
class SGD_kai:
    """
    確率的勾配降下法
    """
    def __init__(self, lr=0.001):
        self.lr = lr
    def update(self, layer, dA, X):
        print('バックプロパゲーション ')
        # 各勾配の計算
        axis = dA.ndim-1
        dB = dA.sum(axis=axis)
        print('dB', dB.shape, dB)

        # 3　はfilter_size, 2は出力のサイズ(N_out)
        N_out = dA.shape[-1]
        print(N_out)
        indexes = np.array([[i for i in range(j * layer.stride_sizes, (N_out+j) * layer.stride_sizes)] for j in range(layer.filter_sizes)])
        print(indexes)

        # パディングの処理？　行わないとXの形が変わっている
        if layer.paddings > 0:
            X = np.pad(X, [(0, 0), (layer.paddings, layer.paddings)], 'constant')

        dW = np.dot(dA, X[:, indexes.T])
        print('dW', dW.shape, dW)

        # 2はinput_channels, 4はfilter_sizes + N_out - 1
        dX = np.zeros((layer.input_channels, layer.filter_sizes + N_out - 1))
        # 重みを転置して、dAとの行列積をとり、再度転置
        calc = np.dot(layer.W.T, dA).T
        # 2はN_out
        for i in range(N_out):
            dX[:, i:i+layer.filter_sizes] += calc[i]
        print('dX', dX.shape, dX)


class SeedConv1d:
    """
    チャンネル数を限定しない1次元畳み込み層
    """
    def __init__(self, input_channels, output_channels, filter_sizes, stride_sizes, paddings, initializer, optimizer):
        self.input_channels = input_channels
        self.output_channels = output_channels
        self.filter_sizes = filter_sizes
        self.stride_sizes = stride_sizes
        self.paddings = paddings
        self.optimizer = optimizer
        if initializer is None:
            self.W = np.ones((self.output_channels, self.input_channels, self.filter_sizes))
            self.B = np.arange(1, self.output_channels+1)

    def calc_output_nums(self, input_nums, paddings, filter_sizes, stride_sizes):
        output_nums = (input_nums + 2*paddings - filter_sizes) // stride_sizes + 1
        return output_nums

    def forward(self, X):
        print('フォワードプロパゲーション')
        _, input_nums = X.shape
        # 出力する特徴量数を計算
        output_nums = self.calc_output_nums(input_nums, self.paddings, self.filter_sizes, self.stride_sizes)

        # インデックスを計算
        indexes = np.array([[i for i in range(j * self.stride_sizes , self.filter_sizes + j * self.stride_sizes)]for j in range(output_nums)])
        print(indexes)
        # パディングの処理、Xにゼロを追加する
        if self.paddings > 0:
            X = np.pad(X, [(0, 0), (self.paddings, self.paddings)], 'constant')
            print(X)

        # 畳み込みを実施
        A = (X[:,indexes] * self.W[:, :, np.newaxis]).sum(axis=1).sum(axis=2) + self.B[:, np.newaxis]
        return A

    def backward(self, dA, X):
        self = self.optimizer.update(self, dA, X)


# adapter: this notebook's Conv1d(in_channels, out_channels, filter_size, stride, pad, ...), backward(dA);
# it keeps the document's optimizer, which computes the gradients
class Conv1d(SeedConv1d):
    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None, optimizer=None):
        self.seed_optimizer = SGD_kai()
        super().__init__(in_channels, out_channels, filter_size, stride, pad, None, self.seed_optimizer)

    optimizer = property(lambda self: self.seed_optimizer, lambda self, value: None)

    def forward(self, X):
        self.X_seen = X
        return super().forward(X)

    def backward(self, dA):
        return super().backward(dA, self.X_seen)
