package charlm.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.CharlmException;
import charlm.testing.Fixtures;
import charlm.testing.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The book's preprocessing and vocabulary, on the book when it is there and on made text always. */
class CorpusTest {
    @TempDir
    Path dir;

    @Test
    void theTimeMachineGivesTheBooksVocabularyAndTokens() throws Exception {
        Path book = SharedData.requireTimeMachine(); // reported as skipped, with the reason, when the book is absent
        Corpus c = Corpus.load(book, Tokenizer.LETTERS, 10_000);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(Files.readAllBytes(book))))
                .isEqualTo(Fixtures.expected("timemachine.sha1"));
        assertThat(c.vocab().tokens()).containsExactly("<unk>", " ", "e", "t", "a", "i", "n", "o", "s", "h", "r", "d", "l", "m",
                "u", "c", "f", "w", "g", "y", "p", "b", "v", "k", "x", "z", "j", "q");
        assertThat(java.util.Arrays.copyOf(c.tokens(), 20)).containsExactly(3, 9, 2, 1, 3, 5, 13, 2, 1, 13, 4, 15, 9, 5, 6, 2, 1, 21, 19, 1);
        assertThat(c.size()).isEqualTo(10_000);
        assertThat(Corpus.load(book, Tokenizer.LETTERS, 0).size()).isEqualTo(170_580);
    }

    @Test
    void theVocabularyRulesHoldOnAnyText() throws Exception {
        // Whatever text the tests have (the book or a made one): the rules checked against an independent count.
        Path text = SharedData.textFile(dir);
        Corpus c = Corpus.load(text, Tokenizer.LETTERS, 10_000);
        assertVocabularyRules(Tokenizer.LETTERS.codePoints(Files.readString(text)), c.vocab());
        assertThat(c.size()).isEqualTo(10_000);
    }

    @Test
    void vocabularyIsUnkThenFallingFrequencyTiesByFirstAppearance() {
        int[] text = "abcabcab  zy".codePoints().toArray();
        Vocab v = Vocab.build(text);
        // a:3 b:3 c:2 ' ':2 z:1 y:1 -> ties keep first appearance
        assertThat(v.tokens()).containsExactly("<unk>", "a", "b", "c", " ", "z", "y");
        assertVocabularyRules(text, v);
        assertThat(v.index('q')).isZero();
        assertThat(v.decode(v.encode("cab".codePoints().toArray()), 0, 3)).isEqualTo("cab");
    }

    private static void assertVocabularyRules(int[] text, Vocab v) {
        Map<Integer, Integer> count = new HashMap<>(), first = new HashMap<>();
        for (int i = 0; i < text.length; i++) {
            count.merge(text[i], 1, Integer::sum);
            first.putIfAbsent(text[i], i);
        }
        assertThat(v.token(0)).isEqualTo("<unk>");
        assertThat(v.size()).isEqualTo(count.size() + 1);
        for (int i = 2; i < v.size(); i++) {
            int a = v.token(i - 1).codePointAt(0), b = v.token(i).codePointAt(0);
            assertThat(count.get(a) > count.get(b) || (count.get(a).equals(count.get(b)) && first.get(a) < first.get(b)))
                    .as("%s before %s", v.token(i - 1), v.token(i)).isTrue();
        }
    }

    @Test
    void linesAreCleanedAsTheBookDoes() {
        String text = "The Time Machine, by H. G. Wells [1898]\r\n\r\n  I\rOh--yes!\nend";
        List<String> lines = new ArrayList<>();
        for (String l : Tokenizer.splitLines(text)) lines.add(Tokenizer.cleanLine(l));
        assertThat(lines).containsExactly("the time machine by h g wells", "", "i", "oh yes", "end");
        assertThat(new String(Tokenizer.LETTERS.codePoints(text), 0, Tokenizer.LETTERS.codePoints(text).length))
                .isEqualTo("the time machine by h g wellsioh yesend"); // joined with no separator, as the book
        assertThat(Tokenizer.cleanLine("Café naïve")).isEqualTo("caf na ve"); // only ASCII letters are letters
    }

    @Test
    void charsKeepsEveryCodePoint() throws Exception {
        Path f = dir.resolve("t.txt");
        Files.writeString(f, "Ab,\nΩ😀", StandardCharsets.UTF_8);
        Corpus c = Corpus.load(f, Tokenizer.CHARS, 0);
        assertThat(c.size()).isEqualTo(6);
        assertThat(c.vocab().tokens()).containsExactly("<unk>", "A", "b", ",", "\n", "Ω", "😀");
    }

    @Test
    void badTextsGetOneClearMessage() throws Exception {
        assertThatThrownBy(() -> Corpus.load(dir.resolve("missing.txt"), Tokenizer.LETTERS, 0))
                .isInstanceOf(CharlmException.class).hasMessageContaining("does not exist");
        assertThatThrownBy(() -> Corpus.load(dir, Tokenizer.LETTERS, 0)).hasMessageContaining("is a directory");
        Path empty = Files.createFile(dir.resolve("empty.txt"));
        assertThatThrownBy(() -> Corpus.load(empty, Tokenizer.LETTERS, 0)).hasMessageContaining("is empty");
        Path digits = Files.writeString(dir.resolve("digits.txt"), "1234 5678 !!\n");
        assertThatThrownBy(() -> Corpus.load(digits, Tokenizer.LETTERS, 0)).hasMessageContaining("no letters");
        Path latin1 = Files.write(dir.resolve("latin1.txt"), new byte[] {'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> Corpus.load(latin1, Tokenizer.CHARS, 0)).hasMessageContaining("not UTF-8").hasMessageContaining("offset 3");
    }
}
