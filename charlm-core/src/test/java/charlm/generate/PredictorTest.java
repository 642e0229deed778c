package charlm.generate;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.data.Vocab;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.ReferenceKernels;
import charlm.kernels.Workers;
import charlm.model.RnnModel;
import charlm.testing.Fixtures;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A prefix as a person types it, and output that is streamed rather than held. */
class PredictorTest {
    private final Checkpoint.Loaded small = Checkpoint.load(Fixtures.file("small-trained.safetensors"), Kernels.get(), Workers.serial());
    private final Predictor letters = new Predictor(small.model(), small.vocab(), Tokenizer.LETTERS);

    @Test
    void aTypedPrefixIsCleanedAsTheTrainingTextWas() {
        assertThat(letters.prompt("Time, Traveller!")).isEqualTo("time traveller");
        assertThat(letters.prompt("  THE\r\nTime--Machine  ")).isEqualTo("thetime machine"); // lines joined, as the book's corpus
        String cleaned = letters.greedy("Time, Traveller!", 30);
        assertThat(cleaned).isEqualTo(letters.greedy("time traveller", 30)).doesNotContain("<unk>");
        assertThat(letters.unseen("Time, Traveller!")).isEmpty();
    }

    @Test
    void charactersTheModelNeverSawAreNamed() {
        // a chars model over a tiny alphabet: everything else it has never seen
        Vocab vocab = Vocab.of(List.of("<unk>", "a", "b", " ", "\n"));
        RnnModel m = new RnnModel(charlm.model.ModelConfig.chapter(vocab.size(), 4), Kernels.get(), Workers.serial());
        m.initialize(new Rng(1));
        Predictor chars = new Predictor(m, vocab, Tokenizer.CHARS);
        assertThat(chars.prompt("ab\r\nba")).isEqualTo("ab\nba");
        assertThat(chars.unseen("ab\r\nba")).isEmpty();
        assertThat(chars.unseen("Abc, \u03a9\u03a9 ab\uD83D\uDE00")).containsExactly("A", "c", ",", "\u03a9", "\uD83D\uDE00");
        // the library still reads them as <unk> (train's probe prefixes rely on it); the command line refuses them
        assertThat(chars.generate("c", 0, Predictor.Decoding.GREEDY)).isEqualTo("<unk>");
    }

    @Test
    void aPrefixTheCleaningEmptiesIsReadAsTyped() {
        assertThat(letters.prompt("123!")).isEqualTo("123!");
        assertThat(letters.generate("12", 0, Predictor.Decoding.GREEDY)).isEqualTo("<unk><unk>");
    }

    @Test
    void streamingGivesTheSameTextAndCanBeStopped() {
        List<String> pieces = new ArrayList<>();
        letters.generate("time traveller", 40, Predictor.Decoding.GREEDY, pieces::add, () -> false);
        assertThat(String.join("", pieces)).isEqualTo(letters.greedy("time traveller", 40));
        assertThat(pieces).hasSize("time traveller".length() + 40);
        List<String> some = new ArrayList<>();
        letters.generate("the", Long.MAX_VALUE, Predictor.Decoding.sample(1, 0, new Rng(2)), some::add, () -> some.size() >= 1000);
        assertThat(some).hasSize(1000);
    }

    @Test
    void aLongGenerationNeedsNoMemoryThatGrowsWithIt() {
        // the scalar kernels, which allocate nothing per step (the vector ones leave short-lived garbage)
        Checkpoint.Loaded plain = Checkpoint.load(Fixtures.file("small-trained.safetensors"), new ReferenceKernels(), Workers.serial());
        Predictor letters = new Predictor(plain.model(), plain.vocab(), Tokenizer.LETTERS);
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long[] n = {0};
        letters.generate("the", 1000, Predictor.Decoding.GREEDY, t -> n[0]++, () -> false); // warm up
        long before = threads.getCurrentThreadAllocatedBytes();
        letters.generate("the", 300_000, Predictor.Decoding.GREEDY, t -> n[0]++, () -> false);
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // holding the text would take 300,000 ints and as many chars (1.8 MB); streaming, only the set-up allocates
        assertThat(allocated).as("bytes allocated for 300,000 characters").isLessThan(300_000);
    }
}
