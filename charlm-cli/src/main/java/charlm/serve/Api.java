package charlm.serve;

import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.train.Evaluator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * What /api/generate and /api/score compute, apart from HTTP: the request checked field by field
 * against {@link Limits}, then the same calls `charlm generate` and `charlm eval` make, so the
 * same arguments give the same text and the same perplexity.
 */
final class Api {
    static final List<String> GENERATE_FIELDS = List.of("prefix", "length", "strategy", "temperature", "alpha", "top_k", "seed");
    static final List<String> SCORE_FIELDS = List.of("text");

    private Api() {
    }

    /** A checked /api/generate request; decoding() builds a fresh decoder (its own seeded generator). */
    record Generate(String prefix, int length, String strategy, Double temperature, Double alpha, int topK, long seed) {

        /** As `charlm generate` builds it: alpha = 1/temperature, default 1. */
        Predictor.Decoding decoding() {
            if (strategy.equals("greedy")) return Predictor.Decoding.GREEDY;
            double a = alpha != null ? alpha : temperature != null ? 1.0 / temperature : 1.0;
            return Predictor.Decoding.sample(a, topK, new Rng(seed));
        }
    }

    static Generate generateRequest(String body, Limits limits) {
        Fields f = Fields.parse(body, GENERATE_FIELDS);
        String prefix = f.string("prefix", Predictor.PROBE_PREFIX);
        int chars = prefix.codePointCount(0, prefix.length());
        if (chars == 0) throw new ApiError(400, "field 'prefix' is empty; give at least one character to start from");
        if (chars > limits.maxPrefixChars()) {
            throw new ApiError(400, "field 'prefix' has " + chars + " characters, more than the limit of " + limits.maxPrefixChars() + "; shorten it");
        }
        int length = (int) f.whole("length", Predictor.PROBE_LENGTH, 0, limits.maxLength());
        String strategy = f.string("strategy", "greedy").toLowerCase(Locale.ROOT);
        if (!strategy.equals("greedy") && !strategy.equals("sample")) {
            throw new ApiError(400, "field 'strategy' must be \"greedy\" or \"sample\", got " + Fields.shown(f.string("strategy", "")));
        }
        Double temperature = f.positive("temperature"), alpha = f.positive("alpha");
        int topK = (int) f.whole("top_k", 0, 0, Integer.MAX_VALUE);
        long seed = f.whole("seed", 0, (long) -Fields.MAX_EXACT, (long) Fields.MAX_EXACT);
        if (strategy.equals("greedy") && (temperature != null || alpha != null || topK != 0)) { // as generate: top-k 0 is "all"
            throw new ApiError(400, "temperature, alpha and top_k apply to \"strategy\": \"sample\"; add it or drop them");
        }
        if (temperature != null && alpha != null) throw new ApiError(400, "give temperature or alpha, not both (alpha = 1/temperature)");
        return new Generate(prefix, length, strategy, temperature, alpha, topK, seed);
    }

    /** Generates as `charlm generate` does, handing each new character to onToken; returns the answer. */
    static Map<String, Object> generate(ModelPool.Replica model, Generate q, Vocab vocab, Tokenizer tokenizer, Consumer<String> onToken) {
        String prompt = prompt(q.prefix(), vocab, tokenizer);
        String text = model.predictor.generate(q.prefix(), q.length(), q.decoding(), onToken);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("text", text);
        m.put("prefix", prompt);
        m.put("generated", text.substring(prompt.length()));
        m.put("epoch", model.epoch());
        return m;
    }

    /**
     * The prefix as the model reads it, cleaned as its training text was (a letters model reads
     * "Time, Traveller!" as "time traveller"), as `charlm generate` reads it; refused, as there, when
     * nothing is left or when it has characters the model has never seen.
     */
    static String prompt(String prefix, Vocab vocab, Tokenizer tokenizer) {
        String read = tokenizer.normalizePrompt(prefix);
        if (read.isEmpty()) {
            throw new ApiError(400, "field 'prefix' has nothing the model reads (its " + tokenizer.cliName() + " cleaning leaves nothing); give some text");
        }
        List<String> unseen = unknown(read.codePoints().toArray(), vocab);
        if (!unseen.isEmpty()) {
            throw new ApiError(400, "field 'prefix' has characters the model has never seen: "
                    + String.join(", ", unseen.stream().map(Vocab::shown).toList()) + "; write it in the model's characters");
        }
        return read;
    }

    /** The text of a checked /api/score request. */
    static String scoreRequest(String body, Limits limits) {
        Fields f = Fields.parse(body, SCORE_FIELDS);
        if (!f.has("text")) throw new ApiError(400, "field 'text' is missing; send {\"text\": \"...\"} with the text to score");
        String text = f.string("text", "");
        int chars = text.codePointCount(0, text.length());
        if (chars > limits.maxScoreChars()) {
            throw new ApiError(400, "field 'text' has " + chars + " characters, more than the limit of " + limits.maxScoreChars() + "; score it in parts");
        }
        return text;
    }

    /** Perplexity as `charlm eval` defines it: the text cleaned by the model's tokenizer, one stream from a zero state. */
    static Map<String, Object> score(ModelPool.Replica model, String text, Vocab vocab, Tokenizer tokenizer) {
        int[] codePoints = tokenizer.codePoints(text);
        if (codePoints.length < 2) {
            throw new ApiError(400, "field 'text' has " + codePoints.length + " token(s) after the model's " + tokenizer.cliName()
                    + " cleaning; scoring needs at least 2");
        }
        double perplexity = Evaluator.perplexity(model.model, vocab.encode(codePoints));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("perplexity", perplexity);
        m.put("nats_per_char", Math.log(perplexity));
        m.put("tokens", codePoints.length);
        m.put("predictions", codePoints.length - 1);
        m.put("unknown", unknown(codePoints, vocab));
        m.put("epoch", model.epoch());
        return m;
    }

    /** The distinct characters that map to <unk>, in order of first appearance. */
    static List<String> unknown(int[] codePoints, Vocab vocab) {
        Set<String> out = new LinkedHashSet<>();
        for (int cp : codePoints) if (vocab.index(cp) == 0) out.add(new String(Character.toChars(cp)));
        return new ArrayList<>(out);
    }
}
