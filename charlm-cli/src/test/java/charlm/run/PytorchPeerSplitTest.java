package charlm.run;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.TokenCache;
import charlm.data.TokenSequence;
import charlm.data.Tokenizer;
import charlm.settings.Settings;
import charlm.testing.Reference;
import charlm.testing.SharedData;
import charlm.train.Evaluator;
import charlm.train.TrainingSettings;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PyTorch quality peer (scripts/pytorch-text-bench.py --time-limit) reads the text as charlm does:
 * from charlm's token cache, split where TrainingData.split splits it, the held-out part cut into the
 * pieces Evaluator.plan scores. Its --check-split prints checksums of all three, compared here with
 * charlm's own; a different header offset, rounding of the split or cutting of the pieces would differ.
 */
class PytorchPeerSplitTest {
    @TempDir
    Path tmp;

    @Test
    void thePeerReadsTheSameVocabularyIdsSplitAndPiecesAsCharlm() throws IOException {
        Reference.require();
        Path text = SharedData.book();
        Path cacheDir = tmp.resolve("cache");
        TokenCache.Cached cached = TokenCache.open(text, Tokenizer.CHARS, 0, cacheDir, line -> { });
        // A fraction whose held-out length rounds up (n x F ends in .5 to .99), so that the peer must round as Java's Math.round does.
        long n = cached.tokens().length();
        double fraction = 0.0137;
        while (n * fraction - Math.floor(n * fraction) < 0.5) fraction += 0.0001;
        Settings s = TrainingSettings.book().with(TrainingSettings.VAL_FRACTION, fraction);
        TrainingData data = TrainingData.split(text, cached.vocab(), cached.tokens(), s);
        Evaluator.Plan plan = Evaluator.plan(data.validation().length(), 0, 0);
        assertThat(plan.from().length).as("enough held-out text for several pieces").isGreaterThan(1);

        List<String> pieces = new ArrayList<>();
        for (int i = 0; i < plan.from().length; i++) pieces.add(plan.from()[i] + "+" + plan.predictions()[i]);
        List<String> expected = List.of(
                "vocab " + cached.vocab().size() + " " + sha256(String.join("", cached.vocab().tokens().subList(1, cached.vocab().size())).getBytes(StandardCharsets.UTF_8)),
                "train " + data.train().length() + " " + sha256(ids(data.train())),
                "held-out " + data.validation().length() + " " + sha256(ids(data.validation())),
                "pieces " + String.join(" ", pieces));

        Reference.Result r = Reference.script("scripts/pytorch-text-bench.py", "--tokens", cached.file().toString(), "--val-fraction", Double.toString(fraction), "--check-split");
        assertThat(r.out().strip().lines().toList()).isEqualTo(expected);
    }

    /** The ids as little-endian 32-bit integers, as the peer hashes them. */
    private static byte[] ids(TokenSequence tokens) {
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(4 * tokens.length())).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < tokens.length(); i++) b.putInt(tokens.get(i));
        return b.array();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
