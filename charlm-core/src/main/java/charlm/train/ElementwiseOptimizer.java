package charlm.train;

import charlm.kernels.ArrayPasses;
import charlm.kernels.Workers;
import charlm.model.Parameters;
import java.util.ArrayList;
import java.util.List;

/**
 * An optimizer whose update treats each parameter on its own (SGD, momentum, Adam, RMSprop): the
 * subclass writes the arithmetic once, as a plain loop over a range ({@link #update}); this class runs
 * it over the pool in fixed chunks, cut where the tensors that take weight decay (the matrices) meet
 * those that do not (the bias vectors). As the elements are independent, the parallel step and
 * {@link #stepSerially} give the same bits (tested).
 */
public abstract class ElementwiseOptimizer implements Optimizer {
    private final Workers workers;
    private final ArrayPasses.ChunkTask task;
    /** Sorted starts of the runs of elements that decay (even index) and do not (odd index) in turn. */
    private final int[] decayEdges;
    private float[] x, g;

    /** params decides which elements weight decay applies to: those of the matrices (2-D tensors), not the vectors. */
    protected ElementwiseOptimizer(Parameters params, Workers workers) {
        this.workers = workers;
        this.decayEdges = decayEdges(params);
        this.task = new ArrayPasses.ChunkTask("optimizer update", (from, to) -> updateSplit(x, g, from, to));
    }

    @Override
    public final void step(float[] x, float[] g, double lr, long step) {
        prepare(lr, step);
        this.x = x;
        this.g = g;
        workers.run(task.over(x.length));
        this.x = null;
        this.g = null;
    }

    /** The same update as {@link #step}, on the calling thread in one pass: the plain twin the parallel step is tested against. */
    public final void stepSerially(float[] x, float[] g, double lr, long step) {
        prepare(lr, step);
        updateSplit(x, g, 0, x.length);
    }

    private void updateSplit(float[] x, float[] g, int from, int to) {
        int at = from;
        for (int e = 0; e < decayEdges.length && at < to; e++) {
            int runEnd = e + 1 < decayEdges.length ? decayEdges[e + 1] : Integer.MAX_VALUE;
            if (runEnd <= at) continue;
            int end = Math.min(to, runEnd);
            update(x, g, at, end, e % 2 == 0);
            at = end;
        }
    }

    private static int[] decayEdges(Parameters params) {
        List<Integer> edges = new ArrayList<>();
        edges.add(0);
        boolean decaying = true;
        for (Parameters.Tensor t : params.tensors()) {
            boolean decays = t.shape().length >= 2;
            if (decays != decaying) {
                edges.add(t.offset());
                decaying = decays;
            }
        }
        return edges.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Sets what is the same for every element of this step (the rate, bias corrections); called before {@link #update}. */
    protected abstract void prepare(double lr, long step);

    /**
     * Updates x[from, to) from g[from, to): the whole per-element arithmetic, as a plain loop. decay
     * says whether these elements take weight decay (they belong to a matrix).
     */
    protected abstract void update(float[] x, float[] g, int from, int to, boolean decay);
}
