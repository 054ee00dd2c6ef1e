# Sprint 4 submission carrying the student code of the course document
# "リカレントニューラルネットワーク" (its Sigmoid and Tanh, its RNN
# class and its small-array loop), with its bugs. Each cell replaces the whole solution
# cell of that grade_id; the other solution cells stay as released (blank).
#
# Changed only so that it runs in this notebook, each marked "adapted:" where it happens:
# the class is named and constructed as the notebook's tests do (the document took the batch
# size and sequence length in __init__; they are read from X in forward), np.zeros gets a
# shape tuple, attributes the document reads but never set are set, `layer` (undefined in
# the document's backward) is `self`, and the globals the document defined and its code
# reads (its bias `b = np.array([1])`, the document's `x`, `w_x`, `w_h`) are defined in its
# cells (the course notebook names the document's arrays `..._doc` and has no global `b`).
# Kept as the document wrote them: Sigmoid's `1/1+np.exp(-A)`,
# forward's global `b` in place of self.B and its reshape of the (T, N, H) list to
# (N, T, H), and in backward the final state self.h in dW_h, gradients assigned per step
# instead of summed, divided by the batch size, dB = np.average(da), no return value.

# %% p0_solution
class Sigmoid:
    """
    sigmoid関数の処理と導関数の算出
    """

    def __init__(self):
        pass

    def forward(self, A):
        self.A = A
        Z = 1/1+np.exp(-self.A)

        return Z

    def backward(self, dout):
        Z = self.forward(self.A)
        dout_sig = Z*(1-Z)*dout

        return dout_sig


class Tanh:
    """
    tanh関数の処理と導関数の算出
    """
    def __init__(self):
        pass

    def forward(self, A):
        self.A = A
        Z = (np.exp(self.A)-np.exp(-self.A)) / (np.exp(self.A)+np.exp(-self.A))

        return Z

    def backward(self, dout):
        Z = self.forward(self.A)
        dout_tanh = (1-Z**2)*dout

        return dout_tanh


ScratchSigmoid, ScratchTanh = Sigmoid, Tanh  # adapted: the names the notebook's tests use


# %% rnn_solution
b = np.array([1])  # adapted: the document's global bias, as its notebook defined it (its forward reads it)


class ScratchSimpleRNN:  # adapted: the document's class RNN
    def __init__(self, n_features, n_nodes, initializer=None, optimizer=None):
        # adapted: the document's RNN(batch, n_sequences, n_features, n_nodes, initializer, optimizer)
        self.n_features = n_features
        self.n_nodes = n_nodes
        self.initializer = initializer or SimpleInitializer()  # adapted: a default
        self.optimizer = optimizer

        self.W_x = self.initializer.W(self.n_features, self.n_nodes)
        self.W_h = self.initializer.W(self.n_nodes, self.n_nodes)
        self.B = self.initializer.B(self.n_nodes)  # adapted: the document's np.array([1]) (forward never reads it)

        self.dX = None
        self.dW_x = None
        self.dW_h = None
        self.dh = None
        self.dB = None

    def forward(self, X):
        """
        X 次の形のndarray (batch_size, n_sequens, n_features)
        W_x : 入力に対する重み (n_features, n_nodes)
        self.h : 次の形のndarray (batch_size, n_nodoes)
        W_h : 時刻t-1の状態（前の時刻から伝わる順伝播） (batch_size, n_nodes)
        """
        self.batch, self.sequences = X.shape[0], X.shape[1]  # adapted: from __init__
        self.h = np.zeros((self.batch, self.n_nodes))  # adapted: from __init__
        output_list = []
        self.X = X
        for t in range(self.sequences):
            a = np.dot(X[:,t,:], self.W_x) + np.dot(self.h, self.W_h) + b

            tanh = Tanh()
            z = tanh.forward(a)
            self.h = z
            output_list += [z]

        output_array = np.array(output_list).reshape(self.batch, self.sequences, self.n_nodes)
        self.output_array = output_array

        return output_array

    def backward(self, dz):
        """
        dz: Affinからの勾配(batch_size, self.sequences, self.nodes)
        dh: RNNからの勾配(batch_size, n_nodes)
        self.dX: ndarray(batch_size, n_sequences, n_features)
        self.dW_x: ndarray (n_features, n_nodes)
        self.dh: ndarray(batch_size, n_nodes)
        self.dW_h: ndarray(n_nodes, n_nodes)
        self.dB: ndarray(1)
        """
        self.batch_size = self.batch  # adapted: read below, never set in the document
        self.dh = np.zeros((self.batch, self.n_nodes))  # adapted: the document's __init__ meant this
        self.dX = np.zeros((self.batch, self.sequences, self.n_features))  # adapted: a shape tuple

        for t in reversed(range(self.sequences)):  # adapted: self.n_sequences
            d = dz[:,t,:] + self.dh
            da = d*(1-(self.output_array[:,t,:])**2)
            self.dW_x = np.dot(self.X[:,t,:].T, da)/self.batch_size
            self.dh = np.dot(da, self.W_h.T)/self.batch_size
            self.dW_h = np.dot(self.h.T, da)/self.batch_size
            self.dB = np.average(da)
            self.dX[:,t,:] = np.dot(da, self.W_x.T)
            dh = self.dh

            self = self.optimizer.update(self)  # adapted: update(layer)


# %% p2_solution
x, w_x, w_h = x_doc, w_x_doc, w_h_doc  # adapted: the document named its arrays so
h = np.zeros((x.shape[0], w_x.shape[1]))
n_sequences = x.shape[1]
states = []  # adapted: the document printed each state; the notebook asks for them in h_states
for t in range(n_sequences):
    a = np.dot(x[:,t,:], w_x) + np.dot(h, w_h) + b
    tanh = Tanh()
    z = tanh.forward(a)
    h = z
    states.append(h)
h_states = np.stack(states, axis=1)
