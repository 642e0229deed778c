package charlm.io;

import charlm.CharlmException;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.Parameters;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.train.MemoryPlan;
import charlm.train.TrainerState;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model on disk: safetensors with the chapter's tensor names and shapes (W_xh (V,H), W_hh (H,H),
 * b_h (H), W_hq (H,V), b_q (V); the gates' tensors for GRU and LSTM, "l0.", "l1.", ... before a
 * layer's names when there are several; W_embed (V,E) for an embedding input), metadata "vocab" =
 * JSON list of tokens in index order, as the reference writes it, plus charlm's format version and
 * the run's settings (one JSON object, {@link TrainingSettings}). A checkpoint a run can continue
 * from also holds the epoch, the optimizer step, the generator's state and the optimizer's state
 * (tensors "opt.SLOT.NAME", laid out as the parameter NAME). A run of local SGD (--workers N) also holds
 * each worker's state after the last round: the same keys and tensors with "w0.", "w1.", ... before them.
 *
 * <p>Format 1 kept the model's settings as separate metadata keys (cell, layers, activation, input,
 * embed_dim, tokenizer) besides the settings; format 2 keeps them once, in the settings. Both load,
 * and so does a checkpoint of the reference (vocab only: the chapter's model). H is always read
 * from W_hq's shape, E from W_embed's.
 */
public final class Checkpoint {
    public static final String FORMAT = "charlm";
    public static final int FORMAT_VERSION = 2;
    /** Format 1's separate model keys, read from old files only. */
    private static final List<String> FORMAT_1_MODEL_KEYS = List.of("cell", "layers", "activation", "input", "embed_dim", "tokenizer");
    private static final String OPTIMIZER_PREFIX = "opt.";
    /** The state a run carries into its next minibatch, saved inside an epoch. */
    private static final String CARRIED = "train.carried";
    /** Metadata: how many workers' states follow, each under {@link #worker}'s prefix. */
    private static final String WORKERS_SAVED = "workers_saved";

    private Checkpoint() {
    }

    /**
     * A loaded model with its vocabulary and tokenizer, the settings it was trained with (the book's
     * where the file does not say), the training state when the file has one (else null), and all metadata.
     */
    public record Loaded(RnnModel model, Vocab vocab, Tokenizer tokenizer, Settings settings, TrainerState training,
                         Map<String, String> metadata) {
    }

    /** Writes a model with the tokenizer it reads text with (a model to use, not to resume). */
    public static void save(Path file, RnnModel model, Vocab vocab, Tokenizer tokenizer) throws IOException {
        save(file, model, vocab, TrainingSettings.book().with(TrainingSettings.TOKENIZER, tokenizer), null);
    }

    /**
     * Writes a model atomically with the run's settings (their model part taken from the model itself,
     * so the two cannot disagree) and, when training is not null, what a resumed run needs.
     */
    public static void save(Path file, RnnModel model, Vocab vocab, Settings settings, TrainerState training) throws IOException {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        Parameters p = model.params;
        for (Parameters.Tensor t : p.tensors()) tensors.put(t.name(), new Safetensors.Tensor(t.shape().clone(), p.read(t, p.data)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("vocab", Json.write(new ArrayList<Object>(vocab.tokens())));
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.put("settings", Json.write(TrainingSettings.describing(settings, model.config).toJson()));
        if (training != null) {
            // Wall time only where a time limit needs it: otherwise equal runs write equal files.
            put("", training, settings.get(TrainingSettings.TIME_LIMIT) != null, p, meta, tensors);
            if (!training.workers().isEmpty()) {
                meta.put(WORKERS_SAVED, Integer.toString(training.workers().size()));
                for (int k = 0; k < training.workers().size(); k++) put(worker(k), training.workers().get(k), false, p, meta, tensors);
            }
        }
        Safetensors.write(file, tensors, meta);
    }

    /** The keys and tensors of worker k's state. */
    private static String worker(int k) {
        return "w" + k + ".";
    }

    /** A training state's metadata and tensors, each name with prefix before it. */
    private static void put(String prefix, TrainerState training, boolean seconds, Parameters p, Map<String, String> meta,
                            Map<String, Safetensors.Tensor> tensors) {
        meta.put(prefix + "epoch", Integer.toString(training.epochsDone()));
        meta.put(prefix + "batch_in_epoch", Integer.toString(training.batchInEpoch()));
        meta.put(prefix + "step", Long.toString(training.step()));
        meta.put(prefix + "rng_state", encodeRng(training.rng()));
        if (seconds) meta.put(prefix + "seconds", Double.toString(training.seconds()));
        meta.put(prefix + "best_val", Double.toString(training.bestValidation()));
        meta.put(prefix + "evals_since_best", Integer.toString(training.evalsSinceBest()));
        if (training.batchInEpoch() > 0) {
            meta.put(prefix + "epoch_rng_state", encodeRng(training.epochStartRng()));
            meta.put(prefix + "epoch_loss_sum", Double.toString(training.epochLossSum()));
            meta.put(prefix + "epoch_tokens", Long.toString(training.epochTokens()));
            meta.put(prefix + "epoch_seconds", Double.toString(training.epochSeconds()));
            tensors.put(prefix + CARRIED, new Safetensors.Tensor(new int[] {training.carried().length}, training.carried()));
        }
        for (Map.Entry<String, float[]> slot : training.optimizer().entrySet()) {
            for (Parameters.Tensor t : p.tensors()) {
                tensors.put(prefix + OPTIMIZER_PREFIX + slot.getKey() + "." + t.name(), new Safetensors.Tensor(t.shape().clone(), p.read(t, slot.getValue())));
            }
        }
    }

    public static Loaded load(Path file, Kernels kernels, Workers workers) {
        return load(Safetensors.read(file), file, kernels, workers);
    }

    /** A model from a checkpoint file already read (its metadata may have been looked at first). */
    public static Loaded load(Safetensors.Contents c, Path file, Kernels kernels, Workers workers) {
        Map<String, String> meta = c.metadata();
        String where = "checkpoint " + file;
        int version = formatVersion(meta, where);
        if (!meta.containsKey("vocab")) throw new CharlmException(where + " has no \"vocab\" metadata; it was not written by charlm or the reference");
        Vocab vocab = vocab(meta.get("vocab"), where);
        Settings settings = settings(meta, version, where);
        // H from the output layer W_hq (H, V), the same tensor whatever the cell; E from W_embed (V, E).
        Safetensors.Tensor wHq = require(c, where, RnnModel.Names.W_HQ);
        if (wHq.shape().length != 2 || wHq.shape()[0] < 1) {
            throw new CharlmException(where + ": tensor W_hq has shape " + Arrays.toString(wHq.shape()) + ", expected (H, V)");
        }
        settings = settings.withJson(Map.of(TrainingSettings.HIDDENS.key(), wHq.shape()[0]), where);
        if (settings.get(TrainingSettings.INPUT) == InputKind.EMBEDDING) {
            Safetensors.Tensor e = require(c, where, RnnModel.Names.W_EMBED);
            int embed = e.shape().length == 2 ? e.shape()[1] : -1;
            if (embed < 1) throw new CharlmException(where + ": tensor W_embed has shape " + Arrays.toString(e.shape()) + ", expected (V, E)");
            settings = settings.withJson(Map.of(TrainingSettings.EMBED_DIM.key(), embed), where);
        }
        // Before anything of the model's size is allocated: it cannot have many more parameters than the
        // file has values (each must be there), and this Java must hold it.
        long values = 0;
        for (Safetensors.Tensor t : c.tensors().values()) values += t.values().length;
        long need;
        try {
            need = MemoryPlan.parameters(settings, vocab.size());
        } catch (ArithmeticException | IllegalArgumentException e) {
            throw new CharlmException(where + " describes a model beyond any machine; the file is damaged");
        }
        // Far more than the file holds: refused here; a little more (a tensor missing) is named below, tensor by tensor.
        if (need > 4 * values + 1_000_000) {
            throw new CharlmException(where + " describes a model of " + need + " parameters (" + settings.get(TrainingSettings.LAYERS) + " "
                    + settings.get(TrainingSettings.CELL) + " layer(s), H = " + settings.get(TrainingSettings.HIDDENS) + ", V = " + vocab.size()
                    + ") but holds " + values + " values; the file is damaged or from another model");
        }
        Runtime rt = Runtime.getRuntime();
        if (3 * 4 * need > rt.maxMemory() - (rt.totalMemory() - rt.freeMemory())) {
            throw new CharlmException(where + " holds a model of " + need + " parameters, more than this Java may hold; give it more memory (JAVA_OPTS=-Xmx...)");
        }
        ModelConfig config = TrainingSettings.modelConfig(settings, vocab.size());
        RnnModel model = new RnnModel(config, kernels, workers);
        for (Parameters.Tensor t : model.params.tensors()) write(c, where, model, config, t.name(), t, model.params.data);
        return new Loaded(model, vocab, settings.get(TrainingSettings.TOKENIZER), settings, training(c, meta, where, model, config), meta);
    }

    /** The vocabulary entry: a JSON list of strings, <unk> first, then distinct single characters. */
    private static Vocab vocab(String entry, String where) {
        String damaged = where + " has a damaged \"vocab\" metadata entry (%s); it was not written by charlm or the reference";
        Object parsed;
        try {
            parsed = Json.parse(entry);
        } catch (RuntimeException e) {
            throw new CharlmException(String.format(damaged, e.getMessage()));
        }
        if (!(parsed instanceof List<?> list)) throw new CharlmException(String.format(damaged, "not a list"));
        List<String> tokens = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof String t)) throw new CharlmException(String.format(damaged, "item " + tokens.size() + " is " + Json.brief(o, 20) + ", not a string"));
            tokens.add(t);
        }
        try {
            return Vocab.of(tokens);
        } catch (IllegalArgumentException e) {
            throw new CharlmException(String.format(damaged, e.getMessage()));
        }
    }

    private static int formatVersion(Map<String, String> meta, String where) {
        if (!meta.containsKey("format_version")) return 1;
        int version;
        try {
            version = Integer.parseInt(meta.get("format_version"));
        } catch (NumberFormatException e) {
            throw new CharlmException(where + " has a bad format_version " + Json.brief(meta.get("format_version"), 20));
        }
        if (version > FORMAT_VERSION) {
            throw new CharlmException(where + " has format version " + version + ", newer than this charlm reads (" + FORMAT_VERSION + "); use a newer charlm");
        }
        if (version < 1) throw new CharlmException(where + " has a bad format_version \"" + version + "\"");
        return version;
    }

    /** The run's settings: the book's, then format 1's separate model keys, then the recorded settings. */
    private static Settings settings(Map<String, String> meta, int version, String where) {
        Settings s = TrainingSettings.book();
        if (version == 1) {
            Map<String, Object> legacy = new LinkedHashMap<>();
            for (String key : FORMAT_1_MODEL_KEYS) {
                String v = meta.get(key);
                if (v == null || key.equals("embed_dim") && v.equals("0")) continue; // format 1 wrote 0 for one-hot
                legacy.put(key, key.equals("layers") || key.equals("embed_dim") ? (Object) parseInt(v, key, where) : v);
            }
            s = s.withJson(legacy, where);
        }
        if (meta.containsKey("settings")) {
            Object json;
            try {
                json = Json.parse(meta.get("settings"));
            } catch (RuntimeException e) {
                throw new CharlmException(where + " has a damaged \"settings\" metadata entry (" + e.getMessage() + ")");
            }
            if (!(json instanceof Map<?, ?> m)) throw new CharlmException(where + " has a damaged \"settings\" metadata entry (not an object)");
            s = s.withJson(m, where);
        }
        return s;
    }

    private static int parseInt(String v, String key, String where) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new CharlmException(where + " has a bad \"" + key + "\" entry " + Json.brief(v, 20));
        }
    }

    /** The training state, when the file has one (a run's own checkpoint), with its workers' states; else null. */
    private static TrainerState training(Safetensors.Contents c, Map<String, String> meta, String where, RnnModel model, ModelConfig config) {
        TrainerState run = training("", c, meta, where, model, config);
        if (run == null || !meta.containsKey(WORKERS_SAVED)) return run;
        int n = parseInt(meta.get(WORKERS_SAVED), WORKERS_SAVED, where);
        List<TrainerState> workers = new ArrayList<>();
        for (int k = 0; k < n; k++) {
            TrainerState w = training(worker(k), c, meta, where, model, config);
            if (w == null) throw new CharlmException(where + " has a damaged training state (no state of worker " + k + "); it cannot be resumed");
            workers.add(w);
        }
        return new TrainerState(run.epochsDone(), run.batchInEpoch(), run.step(), run.rng(), run.epochStartRng(), run.carried(), run.epochLossSum(),
                run.epochTokens(), run.epochSeconds(), run.seconds(), run.bestValidation(), run.evalsSinceBest(), run.optimizer(), workers);
    }

    /** One training state, its keys and tensors named with prefix before them; null where the file has none. */
    private static TrainerState training(String prefix, Safetensors.Contents c, Map<String, String> meta, String where, RnnModel model,
                                         ModelConfig config) {
        Map<String, String> all = meta;
        meta = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : all.entrySet()) if (e.getKey().startsWith(prefix)) meta.put(e.getKey().substring(prefix.length()), e.getValue());
        if (!meta.containsKey("epoch") || !meta.containsKey("rng_state")) return null;
        String damaged = where + " has a damaged training state (%s); it cannot be resumed";
        int epoch, batch, evalsSinceBest;
        long step, epochTokens;
        double seconds, bestVal, epochLoss, epochSeconds;
        try {
            epoch = Integer.parseInt(meta.get("epoch"));
            batch = Integer.parseInt(meta.getOrDefault("batch_in_epoch", "0"));
            step = Long.parseLong(meta.getOrDefault("step", "0"));
            seconds = Double.parseDouble(meta.getOrDefault("seconds", "0"));
            bestVal = Double.parseDouble(meta.getOrDefault("best_val", "Infinity"));
            evalsSinceBest = Integer.parseInt(meta.getOrDefault("evals_since_best", "0"));
            epochLoss = Double.parseDouble(meta.getOrDefault("epoch_loss_sum", "0"));
            epochTokens = Long.parseLong(meta.getOrDefault("epoch_tokens", "0"));
            epochSeconds = Double.parseDouble(meta.getOrDefault("epoch_seconds", "0"));
        } catch (NumberFormatException e) {
            throw new CharlmException(String.format(damaged, e.getMessage()));
        }
        if (epoch < 0 || batch < 0 || step < 0 || evalsSinceBest < 0 || epochTokens < 0) {
            throw new CharlmException(String.format(damaged, "a negative count"));
        }
        long[] epochRng = null;
        float[] carried = null;
        if (batch > 0) {
            if (!meta.containsKey("epoch_rng_state")) throw new CharlmException(String.format(damaged, "no epoch_rng_state"));
            epochRng = decodeRng(meta.get("epoch_rng_state"), where);
            Safetensors.Tensor t = require(c, where, prefix + CARRIED);
            // (layers, slots, B, H) for the run's B, which the trainer checks against its own
            if (t.values().length == 0 || t.values().length % config.stateSize(1) != 0) {
                throw new CharlmException(String.format(damaged, "train.carried has the wrong size"));
            }
            carried = t.values();
        }
        Map<String, float[]> optimizer = new LinkedHashMap<>();
        for (String name : c.tensors().keySet()) {
            if (!name.startsWith(prefix + OPTIMIZER_PREFIX)) continue;
            String rest = name.substring(prefix.length() + OPTIMIZER_PREFIX.length());
            int dot = rest.indexOf('.');
            if (dot <= 0) throw new CharlmException(where + " has a tensor " + name + " that is not OPT.SLOT.PARAMETER; it cannot be resumed");
            String slot = rest.substring(0, dot), param = rest.substring(dot + 1);
            Parameters.Tensor t;
            try {
                t = model.params.tensor(param);
            } catch (IllegalArgumentException e) {
                throw new CharlmException(where + " has optimizer state " + name + " for a parameter the model does not have");
            }
            write(c, where, model, config, name, t, optimizer.computeIfAbsent(slot, k -> new float[model.params.size()]));
        }
        for (String slot : optimizer.keySet()) {
            for (Parameters.Tensor t : model.params.tensors()) require(c, where, prefix + OPTIMIZER_PREFIX + slot + "." + t.name());
        }
        return new TrainerState(epoch, batch, step, decodeRng(meta.get("rng_state"), where), epochRng, carried, epochLoss, epochTokens,
                epochSeconds, seconds, bestVal, evalsSinceBest, optimizer);
    }

    /** Copies tensor name of the file into t's place of the flat array into, after checking its shape. */
    private static void write(Safetensors.Contents c, String where, RnnModel model, ModelConfig config, String name, Parameters.Tensor t, float[] into) {
        Safetensors.Tensor s = require(c, where, name);
        if (!Arrays.equals(s.shape(), t.shape())) {
            throw new CharlmException(where + ": tensor " + name + " has shape " + Arrays.toString(s.shape()) + ", expected "
                    + Arrays.toString(t.shape()) + " for V = " + config.vocabSize() + ", H = " + config.hiddens() + ", "
                    + config.layers() + " " + config.cell().name() + " layer(s); the file is damaged or from another model");
        }
        model.params.write(t, s.values(), into);
    }

    private static Safetensors.Tensor require(Safetensors.Contents c, String where, String name) {
        Safetensors.Tensor t = c.tensors().get(name);
        if (t == null) throw new CharlmException(where + " has no tensor " + name + "; it is not a complete charlm or reference RNN checkpoint");
        return t;
    }

    /** The generator's four longs as hex (JSON numbers would lose bits). */
    static String encodeRng(long[] state) {
        StringBuilder b = new StringBuilder();
        for (long s : state) b.append(b.length() == 0 ? "" : ",").append(HexFormat.of().toHexDigits(s));
        return b.toString();
    }

    static long[] decodeRng(String text, String where) {
        String[] parts = text.split(",");
        if (parts.length != 4) throw new CharlmException(where + " has a damaged rng_state; it cannot be resumed");
        long[] s = new long[4];
        try {
            for (int i = 0; i < 4; i++) s[i] = Long.parseUnsignedLong(parts[i], 16);
        } catch (NumberFormatException e) {
            throw new CharlmException(where + " has a damaged rng_state; it cannot be resumed");
        }
        return s;
    }
}
