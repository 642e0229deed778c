package charlm.serve;

import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.kernels.Workers;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;

/**
 * The model the server answers from, shared read-only, and one private copy of it for each request
 * in flight. An RnnModel binds each forward call's tape and state into fields of the model and its
 * layers, so two threads cannot run one model at once; a copy (its own parameters, layers and
 * single-thread pool) shares nothing mutable. At most {@code inFlight} copies exist; they are made
 * when first needed and reused, and {@link #tryBorrow()} refuses rather than queues when all are busy.
 *
 * <p>The parameters live in immutable snapshots: one taken from the loaded model, and while training
 * a new one at each epoch end ({@link #publish}), on the training thread between epochs. A borrowed
 * copy takes the newest snapshot before it runs, so a request never reads parameters the trainer is
 * writing. Deliberately left out: waiting for a free copy (a queue that could grow without bound).
 */
final class ModelPool {
    /** Parameters as they were after an epoch (0 for the model as loaded or initialised); never written after creation. */
    record Snapshot(float[] params, int epoch) {
    }

    private final ModelConfig config;
    private final Vocab vocab;
    private final Tokenizer tokenizer;
    private final RnnModel template;
    private final Semaphore permits;
    private final int inFlight;
    private final ConcurrentLinkedQueue<Replica> idle = new ConcurrentLinkedQueue<>();
    private volatile Snapshot current;

    /** A pool over model's current parameters, snapshotted now (the model itself is never run by the pool). */
    ModelPool(RnnModel model, Vocab vocab, Tokenizer tokenizer, int inFlight, int epoch) {
        this.config = model.config;
        this.vocab = vocab;
        this.tokenizer = tokenizer;
        this.template = model;
        this.inFlight = inFlight;
        this.permits = new Semaphore(inFlight);
        this.current = new Snapshot(model.params.data.clone(), epoch);
    }

    /** Takes a new snapshot of the model's parameters; call only while nothing writes them (between epochs). */
    void publish(RnnModel model, int epoch) {
        current = new Snapshot(model.params.data.clone(), epoch);
    }

    Snapshot current() {
        return current;
    }

    ModelConfig config() {
        return config;
    }

    Vocab vocab() {
        return vocab;
    }

    Tokenizer tokenizer() {
        return tokenizer;
    }

    int parameterCount() {
        return template.params.size();
    }

    int inFlightLimit() {
        return inFlight;
    }

    /** Requests being served now. */
    int busy() {
        return inFlight - permits.availablePermits();
    }

    /** A copy holding the newest snapshot, or null when inFlight requests are already being served. */
    Replica tryBorrow() {
        if (!permits.tryAcquire()) return null;
        try {
            Replica r = idle.poll();
            if (r == null) r = new Replica();
            r.refresh();
            return r;
        } catch (RuntimeException | Error e) {
            permits.release();
            throw e;
        }
    }

    /** One request's own model; give it back with close(), before the answer is written. */
    final class Replica implements AutoCloseable {
        final RnnModel model = new RnnModel(config, template.kernels(), Workers.serial());
        final Predictor predictor = new Predictor(model, vocab, tokenizer);
        private Snapshot loaded;
        private boolean out = true;

        private void refresh() {
            Snapshot s = current;
            if (s != loaded) {
                System.arraycopy(s.params(), 0, model.params.data, 0, s.params().length);
                loaded = s;
            }
            out = true;
        }

        /** The epoch of the parameters this copy holds. */
        int epoch() {
            return loaded.epoch();
        }

        @Override
        public void close() {
            if (!out) return;
            out = false;
            idle.add(this);
            permits.release();
        }
    }
}
