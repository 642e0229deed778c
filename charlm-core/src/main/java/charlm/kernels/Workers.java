package charlm.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool: the calling thread plus (threads - 1) workers that live as long as the pool.
 * {@link #run(Task)} hands a task's parts to the threads and returns when all are done, so a caller
 * splits its output into as many blocks as the task is told there are parts. Workers spin briefly
 * between tasks (a time step is a fraction of a millisecond) and then park, so an idle pool costs
 * nothing.
 *
 * <p>Each thread owns {@link #CHUNKS_PER_THREAD} consecutive parts and runs them first, in order, so
 * on a quiet machine a thread touches the same block of W_hh at every step and keeps it in its own
 * L2. A thread that runs out of parts takes the untouched parts of the others: on a shared machine a
 * descheduled thread then costs one part of a step, not a scheduler time slice per step.
 *
 * <p>Work is split over output elements only, never over a sum, so results are bit-identical
 * whatever the number of parts and whichever thread runs a part.
 */
public final class Workers implements AutoCloseable {

    /** One piece of parallel work; part runs in [0, parts). */
    @FunctionalInterface
    public interface Task {
        void run(int part, int parts);

        /** What {@link PhaseTimes} files this task's time under; see {@link #named}. */
        default String name() {
            return PhaseTimes.UNNAMED;
        }
    }

    /** task, under a name for {@link PhaseTimes}: a phase of the model ("forward step", "logits"). */
    public static Task named(String name, Task task) {
        return new NamedTask(name, task);
    }

    private record NamedTask(String name, Task task) implements Task {
        @Override
        public void run(int part, int parts) {
            task.run(part, parts);
        }
    }

    /** Parts per thread: a 512-wide H then splits into 64-column blocks (one kernel panel) with 2 threads. */
    static final int CHUNKS_PER_THREAD = 4;
    private static final int SPINS_BEFORE_PARK = 1 << 14;
    /** longs between two claim counters: each on its own 128-byte line pair, so owners do not share lines. */
    private static final int PAD = 16;

    private final int threads;
    private final int chunks;
    private final Thread[] pool;
    /** Per owner: (generation << 32) | parts of its range already claimed in that generation. */
    private final AtomicLongArray claims;
    private final AtomicInteger finishedByWorkers = new AtomicInteger();
    private final AtomicLongArray parked; // 1 while worker i is parked or about to park (index i * PAD)
    private volatile int generation;
    private volatile Task current;
    private volatile boolean closed;
    private volatile Throwable failure;
    private PhaseTimes phaseTimes; // read and written by the caller's thread only

    public Workers(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.chunks = threads == 1 ? 1 : threads * CHUNKS_PER_THREAD;
        this.pool = new Thread[threads - 1];
        this.claims = new AtomicLongArray(threads * PAD);
        this.parked = new AtomicLongArray(threads * PAD);
        for (int i = 1; i < threads; i++) {
            int self = i;
            Thread t = new Thread(() -> loop(self), "charlm-worker-" + self);
            t.setDaemon(true);
            pool[i - 1] = t;
            t.start();
        }
    }

    /** A single-thread pool: everything runs on the caller's thread. */
    public static Workers serial() {
        return new Workers(1);
    }

    /** The number of threads (the caller's included). */
    public int threads() {
        return threads;
    }

    /** How many parts {@link #run} splits every task into: the {@code parts} each {@link Task#run} is given. */
    public int partsPerRun() {
        return chunks;
    }

    /**
     * From now on, adds the wall time of every {@link #run} to times under the task's name (null:
     * stop). Costs two clock reads a run; only `bench --profile` asks for it.
     */
    public void timePhases(PhaseTimes times) {
        this.phaseTimes = times;
    }

    /** Runs task on every part and waits for all of them; rethrows a part's failure. */
    public void run(Task task) {
        PhaseTimes times = phaseTimes;
        if (times == null) {
            runParts(task);
            return;
        }
        long t0 = System.nanoTime();
        try {
            runParts(task);
        } finally {
            times.add(task.name(), System.nanoTime() - t0);
        }
    }

    private void runParts(Task task) {
        if (threads == 1) {
            task.run(0, 1);
            return;
        }
        if (closed) throw new IllegalStateException("workers are closed");
        current = task;
        finishedByWorkers.set(0);
        int gen = generation + 1;
        generation = gen; // publishes current and the reset count
        wakeParked();
        int mine = work(task, 0, gen);
        int spins = 0;
        while (finishedByWorkers.get() != chunks - mine) {
            if (++spins < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else Thread.yield();
        }
        Throwable theirs = failure;
        failure = null;
        if (theirs != null) rethrow(theirs);
    }

    /**
     * Runs parts of generation gen until none is left unclaimed: the thread's own range first, then
     * the others'. Returns how many parts this thread ran. A failure is kept, and the part still
     * counts as done, so nobody waits forever.
     */
    private int work(Task task, int self, int gen) {
        int ran = 0;
        for (int o = 0; o < threads; o++) {
            int owner = self + o < threads ? self + o : self + o - threads;
            int part;
            while ((part = claim(owner, gen)) >= 0) {
                try {
                    task.run(part, chunks);
                } catch (Throwable t) {
                    failure = t;
                }
                ran++;
            }
        }
        return ran;
    }

    /**
     * The next unclaimed part of owner's range in generation gen, or -1. A counter still tagged with an
     * older generation counts as untouched; one tagged newer means gen is over for this thread.
     */
    private int claim(int owner, int gen) {
        int at = owner * PAD;
        while (true) {
            long v = claims.get(at);
            int g = (int) (v >>> 32), taken = g == gen ? (int) v : 0;
            if (g - gen > 0 || taken == CHUNKS_PER_THREAD) return -1;
            if (claims.compareAndSet(at, v, ((long) gen << 32) | (taken + 1))) return owner * CHUNKS_PER_THREAD + taken;
        }
    }

    private void wakeParked() {
        // Dekker with the worker: it sets its flag, then reads generation; we wrote generation, then read the flag.
        for (int i = 1; i < threads; i++) {
            if (parked.get(i * PAD) != 0) LockSupport.unpark(pool[i - 1]);
        }
    }

    private void loop(int self) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation) == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    parked.set(self * PAD, 1);
                    if (generation == seen && !closed) LockSupport.park(this);
                    parked.set(self * PAD, 0);
                    spins = 0;
                }
            }
            if (closed) return;
            seen = g;
            // Read after generation, so at least as new as g; if newer, g's claims simply fail.
            Task task = current;
            int ran = work(task, self, g);
            if (ran > 0) finishedByWorkers.addAndGet(ran);
        }
    }

    /** The block [start, end) of n items that a part owns, with block edges on multiples of align. */
    public static int start(int part, int parts, int n, int align) {
        if (part == 0) return 0;
        long units = (n + align - 1) / align;
        return (int) Math.min(n, (units * part / parts) * align);
    }

    public static int end(int part, int parts, int n, int align) {
        return part == parts - 1 ? n : start(part + 1, parts, n, align);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : pool) LockSupport.unpark(t);
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }
}
