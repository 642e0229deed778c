package charlm.model;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import org.junit.jupiter.api.Test;

/**
 * Exercise 1: one-hot is an embedding. X_t W_xh with X_t one-hot picks row x_t of W_xh; an
 * embedding table E = I (V × V) followed by the same W_xh computes exactly that row again.
 */
class EmbeddingTest {
    @Test
    void anIdentityEmbeddingReproducesOneHot() {
        int v = 9, h = 16, bs = 3, t = 7;
        RnnModel onehot = new RnnModel(ModelConfig.chapter(v, h), Kernels.get(), Workers.serial());
        onehot.initialize(new Rng(8));
        RnnModel embed = new RnnModel(new ModelConfig(v, h, Activation.TANH, InputKind.EMBEDDING, v), Kernels.get(), Workers.serial());
        float[] identity = new float[v * v];
        for (int i = 0; i < v; i++) identity[i * v + i] = 1f;
        embed.params.write(embed.params.tensor("W_embed"), identity, embed.params.data);
        for (String name : new String[] {"W_xh", "W_hh", "b_h", "W_hq", "b_q"}) {
            Parameters.Tensor from = onehot.params.tensor(name);
            embed.params.write(embed.params.tensor(name), onehot.params.read(from, onehot.params.data), embed.params.data);
        }
        Rng rng = new Rng(1);
        int[] x = new int[bs * t];
        for (int i = 0; i < x.length; i++) x[i] = rng.nextInt(v);
        Tape a = onehot.newTape(bs, t), b = embed.newTape(bs, t);
        float[] sa = onehot.beginState(bs), sb = embed.beginState(bs);
        onehot.forward(a, x, sa, false);
        embed.forward(b, x, sb, false);
        // 1·w plus zeros is exact in floating point, so the two paths agree bit for bit.
        assertThat(b.logits()).containsExactly(a.logits());
        assertThat(sb).containsExactly(sa);
        assertThat(embed.stepper().step(4)).containsExactly(onehot.stepper().step(4));
    }
}
