package charlm.train;

import charlm.kernels.ArrayPasses;
import charlm.kernels.Workers;

/**
 * An optimizer whose update treats each parameter on its own (SGD, momentum, Adam, RMSprop): the
 * subclass writes the arithmetic once, as a plain loop over a range ({@link #update}); this class runs
 * it over the pool in fixed chunks. As the elements are independent, the parallel step and one plain
 * call over the whole array give the same bits (tested).
 */
public abstract class ElementwiseOptimizer implements Optimizer {
    private final Workers workers;
    private final ArrayPasses.ChunkTask task;
    private float[] x, g;

    protected ElementwiseOptimizer(Workers workers) {
        this.workers = workers;
        this.task = new ArrayPasses.ChunkTask((from, to) -> update(x, g, from, to));
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

    /** Sets what is the same for every element of this step (the rate, bias corrections); called before {@link #update}. */
    protected abstract void prepare(double lr, long step);

    /** Updates x[from, to) from g[from, to): the whole per-element arithmetic, as a plain loop. */
    protected abstract void update(float[] x, float[] g, int from, int to);
}
