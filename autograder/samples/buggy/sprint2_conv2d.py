# The "seeds" sample submission of sprint 2: the code a student really wrote
# (the course document "Sprint13": its Conv2d and MaxPool2D, and its answers to the output-size and
# parameter-count exercise), each cell replacing the solution cell of the same grade_id in the
# release notebook (autograder/build.py). The document's classes are kept as written, modernised
# only as far as needed to run (np.float -> float, np.int -> int; its logging calls, already
# commented out, are left out); below each, marked "adapter", a few lines give it this
# notebook's interface (constructor arguments, a batch axis: the document takes one image
# (C, H, W) at a time).
# What the grader finds: Conv2d's weights have no input-channel axis (W (FN, FH, FW));
# MaxPool2D's forward is right and its backward is transposed; the parameter counts forget
# the input channels.

# %% p1_solution
class SeedConv2d:
    def __init__(self, FN, FH, FW, padding, ir, stride=1):
        self.FN = FN # フィルタ数
        self.FH = FH # フィルタの高さ
        self.FW = FW # フィルタの幅
        self.P = padding # パディング数
        self.S = stride # スライド数
        self.B = 1
        self.W = np.arange(FN*FH*FW).reshape(FN, FH, FW).astype(float)
        self.forward_x = None
        self.ir = ir

    def forward(self, X):

        self.forward_x = X.copy()

        # 各パラメータを設定
        # 入力データの次元数を取得
        n_channel, n_high, n_wide = X.shape

        # パディング対応
        X = np.pad(X, ((0,0), (self.P,self.P), (self.P,self.P)), 'constant')

        indexs = np.arange(n_wide)
        out_c = self.FN
        out_h = np.trunc( (n_high + 2*self.P - self.FH )/self.S +1).astype(int)
        out_w = np.trunc( (n_wide + 2*self.P - self.FW )/self.S +1 ).astype(int)

        output = np.empty((out_c, out_h, out_w))

        for FN in range(out_c):
            # 高さ×幅分回す
            j = 0
            for high in range(0, n_high, self.S):
                i = 0
                for wide in range(0, n_wide, self.S):
                    # 幅方向のインデックスを取得
                    index = indexs[wide:wide+self.FW]
                    # 高さ方向にインデックスをブロードキャスト
                    output[FN, j, i] = np.sum(X[:,high:high+self.FH, index]*self.W[FN,:,:]) + self.B

                    # 次の幅方向にスライドできるかチェック
                    if((wide + self.FW + self.S -1) >= n_wide):
                        break

                # 次の高さ方向にスライドできるかチェック
                if((high + self.FH + self.S -1) >= n_high):
                    break

        return output

    def backward(self, delta):
        """
        バイアスの逆伝搬
        """
        # 勾配
        dB = np.mean(delta, axis=(1,2))

        # 更新
        self.B -= self.ir*dB.astype(float)

        """
        出力の逆伝搬
        """
        delta = delta.astype(float)

        #　勾配
        n_channel, n_high, n_wide = self.forward_x.shape

        dX = np.empty((n_channel, n_high, n_wide)).astype(float)

        # InPut のチャネル数
        for channel in range(n_channel):
            temp = 0
            for high in range(n_high):
                for wide in range(n_wide):
                    for j in range(self.W.shape[0]):
                        for i in range(self.W.shape[1]):
                            if( ((high - j) < 0) or ((high - j) >= delta.shape[0]) ):
                                a = 0
                            elif( ((wide - i) < 0) or ( (wide - i) >= delta.shape[1])):
                                a = 0
                            else:
                                a = delta[:, high - j, wide - i]
                            temp += a * self.W[:, j, i]
                    dX[channel, high, wide] = np.sum(temp)

        """
        カーネルの逆伝搬
        """
        # 勾配
        n_FN, n_high, n_wide = self.W.shape
        n_out_channel, n_out_wide, n_out_high = delta.shape

        indexs = np.arange(self.forward_x.shape[1])
        dW = np.empty((n_FN, n_high, n_wide)).astype(float)
        # FNの数
        for FN in range(n_FN):
            j = 0
            for high in range(n_high):
                i = 0
                for wide in range(n_wide):
                    index = indexs[wide:wide+n_out_wide]
                    dW[FN, j, i] = np.sum( np.dot(self.forward_x[:, high:high+n_out_high, index], delta[FN, :, :]) )
                i += 1
            j += 1

        # 更新
        self.W -= self.ir*dW

        return dX


# adapter: this notebook's Conv2d(in_channels, out_channels, filter_size, stride, pad, ...) on a
# batch (N, C, H, W), one call of the document's layer per image; the document's own learning rate set to 0
class Conv2d(SeedConv2d):
    param_names = ("W", "B")

    def __init__(self, in_channels, out_channels, filter_size, stride=1, pad=0, initializer=None, optimizer=None):
        FH, FW = (filter_size, filter_size) if np.isscalar(filter_size) else filter_size
        super().__init__(out_channels, FH, FW, pad, 0.0, stride)
        self.optimizer = optimizer

    def forward(self, X):
        self.images = list(X)
        return np.stack([super(Conv2d, self).forward(x) for x in self.images])

    def backward(self, dA):
        dX = []
        for x, d in zip(self.images, dA):
            self.forward_x = x
            dX.append(super().backward(d))
        return np.stack(dX)

# %% p4_solution
class SeedMaxPool2D:
    def __init__(self, FH, FW, padding=0, stride=None):
        self.FH = FH # フィルタの高さ
        self.FW = FW # フィルタの幅
        self.P = padding # パディング数

        if (stride is None):
            self.S = FW # スライド数
        else:
            self.S = stride
        self.forward_index = None

    def forward(self, X):

        # 各パラメータを設定
        # 入力データの次元数を取得
        n_channel, n_high, n_wide = X.shape

        self.forward_index = np.zeros(X.shape)

        # パディング対応
        X = np.pad(X, ((0,0), (self.P,self.P), (self.P,self.P)), 'constant')

        indexs = np.arange(n_wide)
        out_c = n_channel
        out_h = np.trunc( (n_high + 2*self.P - self.FH)/self.S +1 ).astype(int)
        out_w = np.trunc( (n_wide + 2*self.P - self.FW)/self.S +1 ).astype(int)

        output = np.empty((out_c, out_h, out_w))

        for FN in range(out_c):
            # 高さ×幅分回す
            j = 0
            for high in range(0, n_high, self.S):
                i = 0
                for wide in range(0, n_wide, self.S):
                    # 幅方向のインデックスを取得
                    index = indexs[wide:wide+self.FW]
                    # 高さ方向にインデックスをブロードキャスト
                    # 最大値のインデックスを取得
                    max_index = np.argmax( X[FN,high:high+self.FH, index] )
                    max_index = np.unravel_index(max_index, (self.FH, self.FW))
                    self.forward_index[FN, max_index[0]+high, max_index[1]+wide] = 1

                    output[FN, j, i] = np.max( X[FN,high:high+self.FH, index] )

                    i += 1
                    # 次の幅方向にスライドできるかチェック
                    if((wide + self.FW + self.S -1) >= n_wide):
                        break
                j += 1
                # 次の高さ方向にスライドできるかチェック
                if((high + self.FH + self.S -1) >= n_high):
                    break

        return output

    def backward(self, delta):

        n_channel, n_high, n_wide = delta.shape
        filte = np.ones((n_channel,self.FH, self.FW))

        result_high = []
        for high in range(n_high):
            result_wide = []
            for wide in range(n_wide):
                result_wide.append( filte*delta[:,high,wide] )
            result_high.append( np.hstack(result_wide) )
        result_Filter = np.vstack(result_high).T

        return result_Filter*self.forward_index


# adapter: this notebook's MaxPool2D(pool_size, stride) on a batch (N, C, H, W), one of the document's layers per image
class MaxPool2D:
    param_names = ()

    def __init__(self, pool_size, stride=None):
        self.pool_size, self.stride = pool_size, stride

    def forward(self, X):
        self.seed_layers = [SeedMaxPool2D(self.pool_size, self.pool_size, 0, self.stride) for _ in X]
        return np.stack([layer.forward(x) for layer, x in zip(self.seed_layers, X)])

    def backward(self, dA):
        return np.stack([layer.backward(d) for layer, d in zip(self.seed_layers, dA)])

# %% p10_solution
# The document's answers, written in its text as "フィルタ 3×3×6=54 ... 計：55": one filter size
# times the number of filters, plus 1. Its output size for case 3 repeats case 2's.
def param_count(in_channels, out_channels, filter_size):
    FH, FW = filter_size
    return FH * FW * out_channels + 1


output_sizes = [(142, 142, 6), (58, 58, 48), (58, 58, 48)]
param_counts = [55, 433, 181]
