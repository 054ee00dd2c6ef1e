# Sprint 3 submission carrying the student code of the course document "lenet構成のCNN":
# its Convolution (whose forward
# reshapes the im2col product straight to (N, C, out_h, out_w), scrambling channels and
# pixels), Pooling, Flat and LeNet classes, with im2col / col2im as the course documents
# print them (the book "Deep Learning from Scratch"), and its parameter count. Each cell replaces the whole
# solution cell of that grade_id; the other solution cells stay as released (blank).
#
# Changed only so that it runs in this notebook, each marked "adapted:" where it happens:
# the class is named and constructed as the notebook's tests do; W and B are attributes
# in the notebook's layout (C_out, C_in, FH, FW) (the document kept W as (FH*FW*C_in, C_out) in
# self.params; forward and backward reshape it, and backward turns dW back with the line
# the document left commented out); the book's Relu, Affine and SoftmaxWithLoss, which the
# document imported from its own files, are sprintlib's ReLU, FC and Softmax; the document's
# predict / forward(x, t) / backward(dout) are the notebook's forward / loss / backward.
# Kept as the document wrote them: the reshape of the convolution's output, the bias
# gradient named db, the first FC layer fixed at 784 inputs whatever the padding, and
# the documents' col2im called without is_backward=True (overlapping windows overwrite
# each other's gradient instead of adding up).

# %% p1_solution
def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    """
    input_data : (データ数, チャンネル数, 高さ, 幅)の4次元配列からなる入力データ. 画像データの形式を想定している
    filter_h : フィルターの高さ
    filter_w : フィルターの幅
    stride : ストライド数
    pad : パディングサイズ
    constant_values : パディング処理で埋める際の値
    return : 2次元配列
    """
    N, C, H, W = input_data.shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    img = np.pad(input_data, [(0,0), (0,0), (pad, pad), (pad, pad)],
                 'constant', constant_values=constant_values)
    col = np.zeros((N, C, filter_h, filter_w, out_h, out_w))
    for y in range(filter_h):
        y_max = y + stride*out_h
        for x in range(filter_w):
            x_max = x + stride*out_w
            col[:, :, y, x, :, :] = img[:, :, y:y_max:stride, x:x_max:stride]
    col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N*out_h*out_w, -1)
    return col


def col2im(col, input_shape, filter_h, filter_w, stride=1, pad=0, is_backward=False):
    N, C, H, W = input_shape
    out_h = (H + 2*pad - filter_h)//stride + 1
    out_w = (W + 2*pad - filter_w)//stride + 1
    col = col.reshape(N, out_h, out_w, C, filter_h, filter_w).transpose(0, 3, 4, 5, 1, 2)
    img = np.zeros((N, C, H + 2*pad + stride - 1, W + 2*pad + stride - 1))
    for y in range(filter_h):
        y_max = y + stride*out_h
        for x in range(filter_w):
            x_max = x + stride*out_w
            if is_backward:
                img[:, :, y:y_max:stride, x:x_max:stride] += col[:, :, y, x, :, :]
            else:
                img[:, :, y:y_max:stride, x:x_max:stride] = col[:, :, y, x, :, :]
    return img[:, :, pad:H + pad, pad:W + pad]


class Convolution:
    def __init__(self, W, b, output_c, filter_h, filter_w, stride = 1, pad = 0):
        """
        Wは( filter_h * filter_w * input_channel, out_channel)
        b は( 1, out_channel)
        を想定
        """
        # 重みとバイアスを設定
        self.W, self.B = W, b  # adapted: self.params = [W, b]; W of shape (C_out, C_in, FH, FW)
        # その他変わらないパラメータを格納
        self.stride, self.pad, self.output_c, self.filter_h, self.filter_w = stride, pad, output_c, filter_h, filter_w

        # 中間データ（backward時に使用）
        self.x, self.col = None, None

    def forward(self, x):

        W, b = self.W.reshape(self.output_c, -1).T, self.B  # adapted: W, b = self.params
        stride, pad, output_c, filter_h, filter_w = self.stride, self.pad, self.output_c, self.filter_h, self.filter_w

        # なぜこの並び(N, C, H, W)なのか？
        # kerasに合わせてるのか？
        if x.ndim == 4:
            N, input_c, input_h, input_w = x.shape
        elif x.ndim == 3:
            N, input_h, input_w = x.shape
            input_c = 1
        else:
            print("DAME!")
            print(x.shape)

        # 最終的な出力のサイズを算出
        out_h = 1 + int((input_h + 2*pad - filter_h) / stride)
        out_w = 1 + int((input_w + 2*pad - filter_w) / stride)

        # データを(N H W C)から(N*out_h*out_w, filter_h * filter_w * C)
        col = im2col(x, self.filter_h, self.filter_w, self.stride, self.pad)
        out = np.dot(col, W) + b

        # N, out_h, out_w, output_Cに整形
        out = out.reshape(N, output_c, out_h, out_w)

        self.x, self.col = x, col

        return out

    def backward(self, dout):

        W, b = self.W.reshape(self.output_c, -1).T, self.B  # adapted: W, b = self.params
        output_c, filter_h, filter_w = self.output_c, self.filter_h, self.filter_w

        dout = dout.transpose(0,2,3,1).reshape(-1, output_c)

        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout)
        self.dW = self.dW.transpose(1, 0).reshape(self.W.shape)  # adapted: the document's commented-out line

        dcol = np.dot(dout, W.T)
        dx = col2im(dcol, self.x.shape, filter_h, filter_w, self.stride, self.pad)

        return dx


class Pooling:
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        # 更新パラメータはなし
        self.params, self.grads = [], []
        # 学習中変わらないパラメータを詰め込む
        self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

        self.x, self.arg_max = None, None

    def forward(self, x):
        pool_h, pool_w, stride, pad = self.pool_h, self.pool_w, self.stride, self.pad
        # なぜこの並び(N, C, H, W)なのか？
        # kerasに合わせてるのか？
        if x.ndim == 4:
            N, input_c, input_h, input_w = x.shape
        elif x.ndim == 3:
            N, input_h, input_w = x.shape
            input_c = 1

        out_h = int(1 + (input_h - pool_h) / stride)
        out_w = int(1 + (input_w - pool_w) / stride)

        col = im2col(x, pool_h, pool_w, stride, pad)
        col = col.reshape(-1, pool_h * pool_w)

        arg_max = np.argmax(col, axis=1)
        out = np.max(col, axis=1)
        out = out.reshape(N, out_h, out_w, input_c).transpose(0, 3, 1, 2)

        self.x = x
        self.arg_max = arg_max

        return out

    def backward(self, dout):

        pool_h, pool_w, stride, pad = self.pool_h, self.pool_w, self.stride, self.pad

        x, arg_max = self.x, self.arg_max

        dout = dout.transpose(0, 2, 3, 1)

        pool_size = pool_h * pool_w
        dmax = np.zeros((dout.size, pool_size))
        dmax[np.arange(arg_max.size), arg_max.flatten()] = dout.flatten()
        dmax = dmax.reshape(dout.shape + (pool_size,))

        dcol = dmax.reshape(dmax.shape[0] * dmax.shape[1] * dmax.shape[2], -1)
        dx = col2im(dcol, x.shape, pool_h, pool_w, stride, pad)

        return dx


class Flat:
    def __init__(self):
        self.params, self.grads = [], []
        self.input_shape = None

    def forward(self, x):
        N = x.shape[0]
        out = x.reshape(N, -1)

        self.input_shape = x.shape

        return out

    def backward(self, dout):
        dout = dout.reshape(self.input_shape)

        return dout


class ScratchLeNet:  # adapted: class LeNet
    def __init__(self, padding="same", initializer=None, optimizer=None, dtype=np.float64,
                 input_size=784, data_num=512, output_size=10):
        # adapted: the notebook's arguments first; the document's keep the values of its call
        from sprintlib import FixedInitializer  # adapted: to give sprintlib's FC the document's weights
        pad = 2 if padding == "same" else 0  # adapted: the document wrote 2

        limit = np.sqrt(1/data_num)
        W1 = np.random.uniform(-limit, limit, (6, 1, 5, 5))  # adapted: (5 * 5 * 1, 6)
        b1 = np.zeros(6)

        W2 = np.random.uniform(-limit, limit, (16, 6, 5, 5))  # adapted: (5 * 5 * 6, 16)
        b2 = np.zeros(16)

        W3 = np.random.uniform(-limit, limit, (784, 120))
        b3 = np.zeros(120)
        W4 = np.random.uniform(-limit, limit, (120, 84))
        b4 = np.zeros(84)
        W5 = np.random.uniform(-limit, limit, (84, output_size))
        b5 = np.zeros(output_size)

        # レイヤの生成
        self.layers = [
            Convolution(W1, b1, 6, 5, 5, 1, pad),
            ReLU(),  # adapted: L.Relu()
            Pooling(2, 2, 2),
            Convolution(W2, b2, 16, 5, 5, 1, pad),
            ReLU(),
            Pooling(2, 2, 2),
            Flat(),
            FC(784, 120, FixedInitializer(W3, b3)),  # adapted: L.Affine(W3, b3)
            ReLU(),
            FC(120, 84, FixedInitializer(W4, b4)),
            ReLU(),
            FC(84, output_size, FixedInitializer(W5, b5)),
        ]

        self.loss_layer = Softmax()  # adapted: L.SoftmaxWithLoss()

    def forward(self, x):  # adapted: the document's predict(x)
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def loss(self, x, t):  # adapted: the document's forward(x, t)
        score = self.forward(x)
        self.loss_layer.forward(score)  # adapted: loss = self.loss_layer.forward(score, t)
        loss = self.loss_layer.loss(t)
        return loss

    def backward(self, t):  # adapted: backward(self, dout=1)
        dout = self.loss_layer.backward(t)  # adapted: backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def predict(self, x):  # adapted: the document's accuracy_score took this argmax
        return np.argmax(self.forward(x.reshape(-1, 1, 28, 28)), axis=1)


# %% p2_solution
def layer_summary(layers, input_shape):
    # adapted: "lenet構成のCNN" summed param.size over its model's parameter list and printed the
    # total; here per layer, with each layer's output shape, which the notebook asks for
    x = np.zeros((1,) + tuple(input_shape))
    shapes, counts = [], []
    for layer in layers:
        x = layer.forward(x)
        shapes.append(x.shape[1:])
        sum_count = 0
        for param in [getattr(layer, name) for name in ("W", "B") if hasattr(layer, name)]:
            sum_count += param.size
        counts.append(sum_count)
    return shapes, counts
