package charlm.io;

import charlm.CharlmException;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.CellType;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.Parameters;
import charlm.model.RnnModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model on disk: safetensors with the chapter's tensor names and shapes (W_xh (V,H), W_hh (H,H),
 * b_h (H), W_hq (H,V), b_q (V); the gates' tensors for GRU and LSTM, "l0.", "l1.", ... before a
 * layer's names when there are several; W_embed (V,E) for an embedding input), metadata "vocab" =
 * JSON list of tokens in index order, as the reference writes it, plus charlm's format version, the
 * cell and depth, and the settings. A checkpoint written by the reference (vocab only) loads as the
 * chapter's model.
 */
public final class Checkpoint {
    public static final String FORMAT = "charlm";
    public static final int FORMAT_VERSION = 1;

    private Checkpoint() {
    }

    /** A loaded model with its vocabulary, tokenizer and all metadata. */
    public record Loaded(RnnModel model, Vocab vocab, Tokenizer tokenizer, Map<String, String> metadata) {
    }

    /**
     * Writes a model atomically.
     *
     * @param extra more metadata (settings, epoch, generator state); strings
     */
    public static void save(Path file, RnnModel model, Vocab vocab, Tokenizer tokenizer, Map<String, String> extra) throws IOException {
        Map<String, Safetensors.Tensor> tensors = new LinkedHashMap<>();
        Parameters p = model.params;
        for (Parameters.Tensor t : p.tensors()) tensors.put(t.name(), new Safetensors.Tensor(t.shape().clone(), p.read(t, p.data)));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("vocab", Json.write(new ArrayList<Object>(vocab.tokens())));
        meta.put("format", FORMAT);
        meta.put("format_version", Integer.toString(FORMAT_VERSION));
        meta.put("tokenizer", tokenizer.cliName());
        meta.put("cell", model.config.cell().name());
        meta.put("layers", Integer.toString(model.config.layers()));
        meta.put("activation", model.config.activation().cliName());
        meta.put("input", model.config.input().cliName());
        meta.put("embed_dim", Integer.toString(model.config.embedDim()));
        meta.putAll(extra);
        Safetensors.write(file, tensors, meta);
    }

    public static Loaded load(Path file, Kernels kernels, Workers workers) {
        return load(Safetensors.read(file), file, kernels, workers);
    }

    /** A model from a checkpoint file already read (its metadata may have been looked at first). */
    public static Loaded load(Safetensors.Contents c, Path file, Kernels kernels, Workers workers) {
        Map<String, String> meta = c.metadata();
        String where = "checkpoint " + file;
        if (meta.containsKey("format_version")) {
            int version;
            try {
                version = Integer.parseInt(meta.get("format_version"));
            } catch (NumberFormatException e) {
                throw new CharlmException(where + " has a bad format_version \"" + meta.get("format_version") + "\"");
            }
            if (version > FORMAT_VERSION) {
                throw new CharlmException(where + " has format version " + version + ", newer than this charlm reads ("
                        + FORMAT_VERSION + "); use a newer charlm");
            }
        }
        CellType cell;
        try {
            cell = Cells.get(meta.getOrDefault("cell", "rnn"));
        } catch (IllegalArgumentException e) {
            throw new CharlmException(where + " has an unknown cell \"" + meta.get("cell") + "\"");
        }
        int layers;
        try {
            layers = Integer.parseInt(meta.getOrDefault("layers", "1"));
        } catch (NumberFormatException e) {
            layers = 0;
        }
        if (layers < 1) throw new CharlmException(where + " has a bad \"layers\" entry \"" + meta.get("layers") + "\"");
        if (!meta.containsKey("vocab")) throw new CharlmException(where + " has no \"vocab\" metadata; it was not written by charlm or the reference");
        Vocab vocab;
        try {
            List<String> tokens = new ArrayList<>();
            for (Object o : (List<?>) Json.parse(meta.get("vocab"))) tokens.add((String) o);
            vocab = Vocab.of(tokens);
        } catch (RuntimeException e) {
            throw new CharlmException(where + " has a damaged \"vocab\" metadata entry (" + e.getMessage() + ")");
        }
        Tokenizer tokenizer = parse(where, "tokenizer", meta.getOrDefault("tokenizer", "letters"), Tokenizer.class);
        Activation activation = parse(where, "activation", meta.getOrDefault("activation", "tanh"), Activation.class);
        InputKind input = parse(where, "input", meta.getOrDefault("input", "onehot"), InputKind.class);
        // H from the first layer's first recurrent matrix: W_hh (RNN), W_hz (GRU), W_hi (LSTM).
        String recurrent = (layers > 1 ? "l0." : "") + cell.firstRecurrentWeight();
        Safetensors.Tensor whh = require(c, where, recurrent);
        if (whh.shape().length != 2 || whh.shape()[0] != whh.shape()[1] || whh.shape()[0] < 1) {
            throw new CharlmException(where + ": tensor " + recurrent + " has shape " + Arrays.toString(whh.shape()) + ", expected a square (H, H)");
        }
        int embed = 0;
        if (input == InputKind.EMBEDDING) {
            Safetensors.Tensor e = require(c, where, RnnModel.Names.W_EMBED);
            embed = e.shape().length == 2 ? e.shape()[1] : -1;
            if (embed < 1) throw new CharlmException(where + ": tensor W_embed has shape " + Arrays.toString(e.shape()) + ", expected (V, E)");
        }
        ModelConfig config = new ModelConfig(vocab.size(), whh.shape()[0], activation, input, embed, cell, layers);
        RnnModel model = new RnnModel(config, kernels, workers);
        for (Parameters.Tensor t : model.params.tensors()) {
            Safetensors.Tensor s = require(c, where, t.name());
            if (!Arrays.equals(s.shape(), t.shape())) {
                throw new CharlmException(where + ": tensor " + t.name() + " has shape " + Arrays.toString(s.shape()) + ", expected "
                        + Arrays.toString(t.shape()) + " for V = " + vocab.size() + ", H = " + config.hiddens()
                        + (cell == Cells.RNN && layers == 1 ? "" : ", " + layers + " " + cell.name() + " layer(s)")
                        + "; the file is damaged or from another model");
            }
            model.params.write(t, s.values(), model.params.data);
        }
        return new Loaded(model, vocab, tokenizer, meta);
    }

    private static Safetensors.Tensor require(Safetensors.Contents c, String where, String name) {
        Safetensors.Tensor t = c.tensors().get(name);
        if (t == null) throw new CharlmException(where + " has no tensor " + name + "; it is not a complete charlm or reference RNN checkpoint");
        return t;
    }

    private static <E extends Enum<E>> E parse(String where, String key, String value, Class<E> type) {
        try {
            return Enum.valueOf(type, value.toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new CharlmException(where + " has an unknown " + key + " \"" + value + "\"");
        }
    }
}
