package charlm.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A persistent pool: the calling thread plus (parts - 1) workers that live as long as the pool.
 * {@link #run(Task)} hands the same task to every part and returns when all are done, so a caller
 * splits its output into {@link #parts()} blocks. Workers spin briefly between tasks (a time step
 * is a fraction of a millisecond) and then park, so an idle pool costs nothing.
 *
 * <p>Work is split over output elements only, never over a sum, so results are bit-identical
 * whatever the number of parts.
 */
public final class Workers implements AutoCloseable {

    /** One piece of parallel work; part runs in [0, parts). */
    @FunctionalInterface
    public interface Task {
        void run(int part, int parts);
    }

    private static final int SPINS_BEFORE_PARK = 1 << 14;

    private final int parts;
    private final Thread[] threads;
    private final boolean[] parked;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile int generation;
    private volatile Task current;
    private volatile boolean closed;
    private volatile Throwable failure;
    private final Object parkFlags = new Object();

    public Workers(int parts) {
        if (parts < 1) throw new IllegalArgumentException("parts must be >= 1, got " + parts);
        this.parts = parts;
        this.threads = new Thread[parts - 1];
        this.parked = new boolean[parts];
        for (int i = 1; i < parts; i++) {
            int part = i;
            Thread t = new Thread(() -> loop(part), "charlm-worker-" + part);
            t.setDaemon(true);
            threads[i - 1] = t;
            t.start();
        }
    }

    /** A single-part pool: everything runs on the caller's thread. */
    public static Workers serial() {
        return new Workers(1);
    }

    public int parts() {
        return parts;
    }

    /** Runs task on every part and waits for all of them; rethrows a worker's failure. */
    public void run(Task task) {
        if (parts == 1) {
            task.run(0, 1);
            return;
        }
        if (closed) throw new IllegalStateException("workers are closed");
        current = task;
        pending.set(parts - 1);
        generation++;
        wakeParked();
        Throwable mine = null;
        try {
            task.run(0, parts);
        } catch (Throwable t) {
            mine = t;
        }
        int spins = 0;
        while (pending.get() != 0) {
            if (++spins < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else Thread.yield();
        }
        current = null;
        Throwable theirs = failure;
        failure = null;
        if (mine != null) rethrow(mine);
        if (theirs != null) rethrow(theirs);
    }

    private void wakeParked() {
        synchronized (parkFlags) {
            for (int i = 1; i < parts; i++) {
                if (parked[i]) LockSupport.unpark(threads[i - 1]);
            }
        }
    }

    private void loop(int part) {
        int seen = 0;
        while (true) {
            int spins = 0;
            int g;
            while ((g = generation) == seen && !closed) {
                if (++spins < SPINS_BEFORE_PARK) {
                    Thread.onSpinWait();
                } else {
                    synchronized (parkFlags) {
                        parked[part] = true;
                    }
                    if (generation == seen && !closed) LockSupport.park(this);
                    synchronized (parkFlags) {
                        parked[part] = false;
                    }
                    spins = 0;
                }
            }
            if (closed) return;
            seen = g;
            try {
                current.run(part, parts);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
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
        for (Thread t : threads) LockSupport.unpark(t);
    }

    private static void rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException(t);
    }
}
