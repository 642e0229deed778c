package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.io.Safetensors;
import charlm.run.RunDirectory;
import charlm.run.RunLock;
import charlm.testing.SharedData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every bad input gets one line on stderr naming what is wrong, exit code 2, and leaves what is
 * already on disk as it was. Training runs here are tiny; the real model is trained once.
 */
class BadInputTest {
    @TempDir
    static Path shared;
    static Path book;
    static Path model;
    static byte[] modelBytes;

    @TempDir
    Path tmp;
    /** A previous run's folder; bad input given --out this folder and --force must not touch it. */
    Path previousRun;
    Map<String, byte[]> previousFiles;

    @BeforeAll
    static void trainOnce() throws IOException {
        book = SharedData.textFile(shared);
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", shared.resolve("run").toString())).ok();
        model = shared.resolve("run").resolve(RunDirectory.MODEL);
        modelBytes = Files.readAllBytes(model);
    }

    @BeforeEach
    void previousRun() throws IOException {
        previousRun = tmp.resolve("previous");
        Files.createDirectories(previousRun);
        Files.writeString(previousRun.resolve("notes.txt"), "my notes\n");
        Files.copy(model, previousRun.resolve(RunDirectory.MODEL));
        Files.writeString(previousRun.resolve(RunDirectory.METRICS), "epoch,perplexity,tokens_per_sec\n1,9.0,100.0\n");
        previousFiles = Cli.snapshot(previousRun);
    }

    // ---- settings of train and bench -------------------------------------------------------

    static Stream<Arguments> badSettings() {
        return Stream.of(
                Arguments.of(new String[] {"--batch-size", "0"}, "--batch-size"),
                Arguments.of(new String[] {"--batch-size", "x"}, "--batch-size"),
                Arguments.of(new String[] {"--num-steps", "-1"}, "--num-steps"),
                Arguments.of(new String[] {"--hiddens", "0"}, "--hiddens"),
                Arguments.of(new String[] {"--epochs", "0"}, "--epochs"),
                Arguments.of(new String[] {"--lr", "0"}, "--lr"),
                Arguments.of(new String[] {"--lr", "-1"}, "--lr"),
                Arguments.of(new String[] {"--lr", "abc"}, "--lr"),
                Arguments.of(new String[] {"--lr", "NaN"}, "--lr"),
                Arguments.of(new String[] {"--lr", "Infinity"}, "--lr"),
                Arguments.of(new String[] {"--clip", "0"}, "--clip"),
                Arguments.of(new String[] {"--clip", "abc"}, "--clip"),
                Arguments.of(new String[] {"--clip", "-2"}, "--clip"),
                Arguments.of(new String[] {"--max-tokens", "-5"}, "--max-tokens"),
                Arguments.of(new String[] {"--val-fraction", "1"}, "--val-fraction"),
                Arguments.of(new String[] {"--val-fraction", "-0.1"}, "--val-fraction"),
                Arguments.of(new String[] {"--val-fraction", "0.0001"}, "--val-fraction"),
                Arguments.of(new String[] {"--threads", "-1"}, "--threads"),
                Arguments.of(new String[] {"--tokenizer", "words"}, "--tokenizer"),
                Arguments.of(new String[] {"--sampling", "shuffled"}, "--sampling"),
                Arguments.of(new String[] {"--threads", "100000"}, "--threads"),
                Arguments.of(new String[] {"--sampling", "random", "--no-detach"}, "--no-detach"),
                Arguments.of(new String[] {"--activation", "sigmoid"}, "--activation"),
                Arguments.of(new String[] {"--input", "bag"}, "--input"),
                Arguments.of(new String[] {"--input", "embedding", "--embed-dim", "0"}, "--embed-dim"),
                Arguments.of(new String[] {"--optimizer", "foo"}, "--optimizer"),
                Arguments.of(new String[] {"--optimizer", "adam", "--beta1", "1"}, "--beta1"),
                Arguments.of(new String[] {"--optimizer", "adam", "--beta2", "-0.1"}, "--beta2"),
                Arguments.of(new String[] {"--optimizer", "rmsprop", "--rms-alpha", "1.5"}, "--rms-alpha"),
                Arguments.of(new String[] {"--eps", "-1e-8"}, "--eps"),
                Arguments.of(new String[] {"--eps", "0"}, "--eps"),
                Arguments.of(new String[] {"--weight-decay", "-0.1"}, "--weight-decay"),
                Arguments.of(new String[] {"--lr-schedule", "linear"}, "--lr-schedule"),
                Arguments.of(new String[] {"--warmup-steps", "-1"}, "--warmup-steps"),
                Arguments.of(new String[] {"--min-lr", "-1"}, "--min-lr"),
                Arguments.of(new String[] {"--lr-decay", "0"}, "--lr-decay"),
                Arguments.of(new String[] {"--lr-decay", "1.5"}, "--lr-decay"),
                Arguments.of(new String[] {"--lr-decay-every", "0"}, "--lr-decay-every"),
                Arguments.of(new String[] {"--max-steps", "-1"}, "--max-steps"),
                Arguments.of(new String[] {"--time-limit", "0"}, "--time-limit"),
                Arguments.of(new String[] {"--time-limit", "abc"}, "--time-limit"),
                Arguments.of(new String[] {"--time-limit", "10x"}, "--time-limit"),
                Arguments.of(new String[] {"--time-limit", "-5m"}, "--time-limit"),
                Arguments.of(new String[] {"--patience", "3"}, "--patience"),
                Arguments.of(new String[] {"--patience", "-1"}, "--patience"),
                Arguments.of(new String[] {"--eval-every", "5"}, "--eval-every"),
                Arguments.of(new String[] {"--eval-every", "-5"}, "--eval-every"),
                Arguments.of(new String[] {"--dropout", "1"}, "--dropout"),
                Arguments.of(new String[] {"--dropout", "-0.1"}, "--dropout"),
                Arguments.of(new String[] {"--init", "he"}, "--init"),
                Arguments.of(new String[] {"--forget-bias", "1", "--cell", "gru"}, "--forget-bias"),
                Arguments.of(new String[] {"--forget-bias", "x", "--cell", "lstm"}, "--forget-bias"),
                Arguments.of(new String[] {"--workers", "0"}, "--workers"),
                Arguments.of(new String[] {"--workers", "two"}, "--workers"),
                Arguments.of(new String[] {"--workers", "3"}, "a multiple of --workers"),
                Arguments.of(new String[] {"--workers", "4", "--max-tokens", "40"}, "--workers 4 cuts the"),
                Arguments.of(new String[] {"--workers", "2", "--no-detach"}, "--no-detach"),
                Arguments.of(new String[] {"--workers", "2", "--sync-every", "0"}, "--sync-every"),
                Arguments.of(new String[] {"--sync-every", "5"}, "--sync-every applies with --workers"),
                Arguments.of(new String[] {"--outer-lr", "0.5"}, "--outer-lr applies with --workers"),
                Arguments.of(new String[] {"--workers", "2", "--outer-lr", "0"}, "--outer-lr"),
                Arguments.of(new String[] {"--workers", "2", "--outer-lr", "11"}, "--outer-lr"),
                Arguments.of(new String[] {"--workers", "2", "--outer-momentum", "1"}, "--outer-momentum"),
                Arguments.of(new String[] {"--workers", "2", "--outer-momentum", "-0.1"}, "--outer-momentum"),
                Arguments.of(new String[] {"--workers", "2", "--outer-optimizer", "adam"}, "--outer-optimizer"),
                Arguments.of(new String[] {"--bogus"}, "--bogus"),
                Arguments.of(new String[] {"--bogus", "1"}, "--bogus"),
                Arguments.of(new String[] {"extra-argument"}, "extra-argument"));
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void trainRefusesBadSettingAndLeavesThePreviousRunAlone(String[] bad, String mention) {
        String[] args = Cli.tinyWith("train", Cli.concat(bad, "--data", book.toString(), "--out", previousRun.toString(), "--force"));
        Cli.run(args).refused(mention);
        Cli.assertUnchanged(previousRun, previousFiles);
    }

    @ParameterizedTest
    @MethodSource("badSettings")
    void benchRefusesBadSetting(String[] bad, String mention) {
        Cli.run(Cli.tinyWith("bench", Cli.concat(bad, "--data", book.toString()))).refused(mention);
    }

    /** Sizes beyond this Java: one line with what it needs and what there is, before anything is allocated. */
    @Test
    void modelsTooLargeForThisJavaAreRefusedBeforeAnythingIsAllocated() {
        for (String[] big : new String[][] {{"--hiddens", "200000"}, {"--hiddens", "50000"}, {"--hiddens", "8192", "--layers", "40"},
                {"--hiddens", "2048", "--batch-size", "4096", "--num-steps", "512"}}) {
            Cli.Result r = Cli.run(Cli.tinyWith("train", Cli.concat(big, "--data", book.toString(), "--out", previousRun.toString(), "--force")));
            r.refused("--hiddens");
            assertThat(r.err()).containsAnyOf("need about", "does not fit in one Java array", "beyond any machine");
            Cli.assertUnchanged(previousRun, previousFiles);
            Cli.run(Cli.tinyWith("bench", Cli.concat(big, "--data", book.toString()))).refused("--hiddens");
        }
        Cli.run(Cli.tinyWith("train", "--hiddens", "3000000000", "--data", book.toString())).refused("--hiddens");
    }

    @Test
    void trainRefusesEmptyPrefix() {
        Cli.run(Cli.tinyWith("train", "--prefix", "", "--data", book.toString(), "--out", previousRun.toString(), "--force"))
                .refused("--prefix");
        Cli.assertUnchanged(previousRun, previousFiles);
    }

    // ---- the data file ---------------------------------------------------------------------

    /** A bad data file: its name, how to make it, and what the message must say. */
    enum BadData {
        MISSING("missing.txt", null, "does not exist"),
        DIRECTORY("folder", null, "directory"),
        EMPTY("empty.txt", new byte[0], "empty"),
        NO_LETTERS("digits.txt", "1234 !!\n".getBytes(StandardCharsets.UTF_8), "letters"),
        NOT_UTF8("latin1.txt", "caf\u00e9 na\u00efve time traveller\n".getBytes(StandardCharsets.ISO_8859_1), "UTF-8");

        final String name;
        final byte[] bytes;
        final String mention;

        BadData(String name, byte[] bytes, String mention) {
            this.name = name;
            this.bytes = bytes;
            this.mention = mention;
        }

        Path make(Path dir) throws IOException {
            Path p = dir.resolve(name);
            if (this == DIRECTORY) Files.createDirectory(p);
            else if (bytes != null) Files.write(p, bytes);
            return p;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"train", "bench"})
    void badDataFilesAreRefused(String command) throws IOException {
        for (BadData bad : BadData.values()) {
            Path data = bad.make(tmp);
            String[] extra = bad == BadData.NOT_UTF8 ? new String[] {"--tokenizer", "chars"} : new String[0];
            String[] args = command.equals("train")
                    ? Cli.tinyWith("train", Cli.concat(extra, "--data", data.toString(), "--out", previousRun.toString(), "--force"))
                    : Cli.tinyWith("bench", Cli.concat(extra, "--data", data.toString()));
            Cli.Result r = Cli.run(args);
            assertThat(r.code()).as("%s: %s", bad, r.err()).isEqualTo(2);
            r.refused(data.getFileName().toString(), bad.mention);
            if (bad.bytes != null) assertThat(Files.readAllBytes(data)).as("%s keeps its bytes", bad).isEqualTo(bad.bytes);
            Cli.assertUnchanged(previousRun, previousFiles);
        }
    }

    @Test
    void invalidUtf8IsRefusedWithTheLettersTokenizerToo() throws IOException {
        Path data = BadData.NOT_UTF8.make(tmp);
        Cli.run(Cli.tinyWith("train", "--data", data.toString(), "--out", tmp.resolve("out").toString())).refused("latin1.txt", "UTF-8");
        assertThat(tmp.resolve("out")).doesNotExist();
    }

    @Test
    void corpusTooShortForOneMinibatchNamesTheSizes() throws IOException {
        Path data = tmp.resolve("short.txt");
        Files.writeString(data, "the time machine\n"); // 16 tokens; batch 4 x 5 steps needs 4*5 + 5 + 1 = 26
        Cli.Result r = Cli.run(Cli.tinyWith("train", "--data", data.toString(), "--out", previousRun.toString(), "--force"));
        r.refused("16", "4", "5", "26", "minibatch");
        Cli.assertUnchanged(previousRun, previousFiles);
        Cli.run(Cli.tinyWith("bench", "--data", data.toString())).refused("16", "26", "minibatch");
    }

    @Test
    void maxTokensTooSmallForOneMinibatchNamesTheSizes() {
        Cli.run(Cli.tinyWith("train", "--max-tokens", "20", "--data", book.toString(), "--out", previousRun.toString(), "--force"))
                .refused("20", "26");
        Cli.assertUnchanged(previousRun, previousFiles);
    }

    // ---- --out -----------------------------------------------------------------------------

    @Test
    void existingNonEmptyOutIsRefusedWithoutForce() {
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", previousRun.toString())).refused("--out", "--force");
        Cli.assertUnchanged(previousRun, previousFiles);
    }

    @Test
    void existingNonEmptyOutIsRefusedWithoutForceEvenWhenTheRunWouldFailLater() {
        // refused before the data is read: the message is about --out, whatever else is wrong
        Cli.run(Cli.tinyWith("train", "--data", tmp.resolve("missing.txt").toString(), "--out", previousRun.toString()))
                .refused("--out");
        Cli.assertUnchanged(previousRun, previousFiles);
    }

    @Test
    void forceWritesIntoAnExistingFolderAndKeepsOtherFiles() throws IOException {
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", previousRun.toString(), "--force")).ok();
        assertThat(previousRun.resolve("notes.txt")).hasContent("my notes");
        assertThat(Cli.snapshot(previousRun).keySet())
                .containsExactlyInAnyOrder("notes.txt", RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.PLOT, RunDirectory.MODEL, RunLock.NAME);
        assertThat(Files.readAllLines(previousRun.resolve(RunDirectory.METRICS))).hasSize(3); // header + 2 epochs, the old row gone
    }

    @Test
    void emptyExistingOutIsFine() throws IOException {
        Path out = Files.createDirectory(tmp.resolve("empty-out"));
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString())).ok();
        assertThat(out.resolve(RunDirectory.MODEL)).isRegularFile();
    }

    @Test
    void outThatIsARegularFileIsRefused() throws IOException {
        Path file = tmp.resolve("a-file");
        Files.writeString(file, "keep me");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", file.toString())).refused("--out", "a-file");
        assertThat(file).hasContent("keep me");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", file.toString(), "--force")).refused("--out", "a-file");
        assertThat(file).hasContent("keep me");
    }

    @Test
    void unwritableOutIsRefused() throws IOException {
        // Tests run as root, for whom a read-only folder is still writable: use a path under a regular file.
        Path file = tmp.resolve("blocker");
        Files.writeString(file, "keep me");
        Path out = file.resolve("run");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", out.toString())).refused("--out", "blocker");
        assertThat(file).hasContent("keep me");
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", file.resolve("a/b").toString(), "--force"))
                .refused("--out", "blocker");
        assertThat(file).hasContent("keep me");
    }

    @ParameterizedTest
    @ValueSource(strings = {RunDirectory.CONFIG, RunDirectory.METRICS, RunDirectory.PLOT, RunDirectory.MODEL})
    void forceOverAFolderNamedLikeARunFileIsRefused(String name) throws IOException {
        // --force replaces files of the same name; a folder in the way must be a clear error, and kept
        Files.deleteIfExists(previousRun.resolve(name));
        Path blocking = Files.createDirectory(previousRun.resolve(name));
        Files.writeString(blocking.resolve("inside.txt"), "keep me");
        Map<String, byte[]> before = Cli.snapshot(previousRun);
        Cli.run(Cli.tinyWith("train", "--data", book.toString(), "--out", previousRun.toString(), "--force")).refused(name);
        Map<String, byte[]> after = Cli.snapshot(previousRun);
        for (var e : before.entrySet()) {
            if (e.getKey().equals(RunDirectory.METRICS) && !name.equals(RunDirectory.METRICS)) continue; // rewritten by the epochs that ran
            assertThat(after.get(e.getKey())).as("bytes of %s", e.getKey()).isEqualTo(e.getValue());
        }
        assertThat(after.keySet()).allMatch(k -> !k.contains(".tmp"), "no temporary files left");
    }

    // ---- checkpoints -----------------------------------------------------------------------

    static Stream<String> modelCommands() {
        return Stream.of("generate", "eval");
    }

    private Cli.Result useModel(String command, Path file) {
        return command.equals("generate")
                ? Cli.run("generate", "--model", file.toString(), "--num-preds", "5")
                : Cli.run("eval", "--model", file.toString(), "--data", book.toString(), "--max-tokens", "200");
    }

    private void refusedAndKept(String command, Path file, String... mentions) throws IOException {
        byte[] before = Files.exists(file) && Files.isRegularFile(file) ? Files.readAllBytes(file) : null;
        useModel(command, file).refused(Cli.concat(new String[] {file.getFileName().toString()}, mentions));
        if (before != null) assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void missingCheckpoint(String command) throws IOException {
        refusedAndKept(command, tmp.resolve("nope.safetensors"), "does not exist");
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void directoryAsCheckpoint(String command) throws IOException {
        refusedAndKept(command, Files.createDirectory(tmp.resolve("dir.safetensors")), "directory");
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void truncatedCheckpoint(String command) throws IOException {
        long headerEnd = 8 + ByteBuffer.wrap(modelBytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        int[] cuts = {0, 5, 8, 20, (int) headerEnd - 1, (int) headerEnd, (int) headerEnd + 3, modelBytes.length / 2, modelBytes.length - 1};
        for (int cut : cuts) {
            Path file = tmp.resolve("cut-" + cut + ".safetensors");
            Files.write(file, Arrays.copyOf(modelBytes, cut));
            Cli.Result r = useModel(command, file);
            assertThat(r.code()).as("cut at %d: %s", cut, r.err()).isEqualTo(2);
            r.refused(file.getFileName().toString());
            if (cut >= 8) assertThat(r.err()).as("cut at %d", cut).contains("truncated");
        }
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void notASafetensorsFile(String command) throws IOException {
        Path text = tmp.resolve("notes.safetensors");
        Files.writeString(text, "This is not a model, only some random text that happens to be here.\n");
        refusedAndKept(command, text, "not a safetensors file");
        Path json = tmp.resolve("header.safetensors"); // a plausible length, then junk instead of JSON
        Files.write(json, new byte[] {16, 0, 0, 0, 0, 0, 0, 0, '{', '"', 'a', '"', ':', ' ', '[', '!', '!', '!', '}', ' ', ' ', ' ', ' ', ' '});
        refusedAndKept(command, json, "not a safetensors file");
        Path array = tmp.resolve("array.safetensors"); // valid JSON, but not an object
        Files.write(array, new byte[] {8, 0, 0, 0, 0, 0, 0, 0, '[', '1', ']', ' ', ' ', ' ', ' ', ' '});
        refusedAndKept(command, array, "not a safetensors file");
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void checkpointMissingATensor(String command) throws IOException {
        Safetensors.Contents c = Safetensors.read(model);
        for (String name : c.tensors().keySet()) {
            Map<String, Safetensors.Tensor> fewer = new LinkedHashMap<>(c.tensors());
            fewer.remove(name);
            Path file = tmp.resolve("no-" + name + ".safetensors");
            Safetensors.write(file, fewer, c.metadata());
            refusedAndKept(command, file, name);
        }
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void checkpointWithAWrongShape(String command) throws IOException {
        Safetensors.Contents c = Safetensors.read(model);
        for (Map.Entry<String, Safetensors.Tensor> e : c.tensors().entrySet()) {
            int[] shape = e.getValue().shape();
            int[] wrong = shape.clone();
            wrong[0] += 1;
            Map<String, Safetensors.Tensor> changed = new LinkedHashMap<>(c.tensors());
            int n = 1;
            for (int d : wrong) n *= d;
            changed.put(e.getKey(), new Safetensors.Tensor(wrong, new float[n]));
            Path file = tmp.resolve("wrong-" + e.getKey() + ".safetensors");
            Safetensors.write(file, changed, c.metadata());
            refusedAndKept(command, file, e.getKey());
        }
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void checkpointWithDamagedMetadata(String command) throws IOException {
        Safetensors.Contents c = Safetensors.read(model);
        Map<String, String> noVocab = new LinkedHashMap<>(c.metadata());
        noVocab.remove("vocab");
        Path file = tmp.resolve("no-vocab.safetensors");
        Safetensors.write(file, c.tensors(), noVocab);
        refusedAndKept(command, file, "vocab");
        Map<String, String> badVocab = new LinkedHashMap<>(c.metadata());
        badVocab.put("vocab", "[\"ab\", ");
        file = tmp.resolve("bad-vocab.safetensors");
        Safetensors.write(file, c.tensors(), badVocab);
        refusedAndKept(command, file, "vocab");
        Map<String, String> future = new LinkedHashMap<>(c.metadata());
        future.put("format_version", "99");
        file = tmp.resolve("future.safetensors");
        Safetensors.write(file, c.tensors(), future);
        refusedAndKept(command, file, "version");
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void checkpointWithAMalformedTensorEntry(String command) throws IOException {
        refusedAndKept(command, header("f16", "{\"W_hh\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}"), "F32");
        refusedAndKept(command, header("not-object", "{\"W_hh\":[1,2]}"), "W_hh");
        refusedAndKept(command, header("bad-offsets", "{\"W_hh\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}"), "W_hh");
    }

    @ParameterizedTest
    @MethodSource("modelCommands")
    void checkpointWithNonNumericShapeOrOffsets(String command) throws IOException {
        refusedAndKept(command, header("shape-string", "{\"W_hh\":{\"dtype\":\"F32\",\"shape\":[\"x\"],\"data_offsets\":[0,4]}}"), "W_hh");
        refusedAndKept(command, header("offsets-string", "{\"W_hh\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[\"a\",\"b\"]}}"), "W_hh");
    }

    /** A safetensors file with the given JSON header and 16 bytes of zero data. */
    private Path header(String name, String json) throws IOException {
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        int padded = (bytes.length + 7) / 8 * 8;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + 16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(bytes);
        while (b.position() < 8 + padded) b.put((byte) ' ');
        Path file = tmp.resolve(name + ".safetensors");
        Files.write(file, b.array());
        return file;
    }

    // ---- generate and eval options ---------------------------------------------------------

    static Stream<Arguments> badGenerateOptions() {
        return Stream.of(
                Arguments.of(new String[] {"--prefix", ""}, "--prefix"),
                Arguments.of(new String[] {"--num-preds", "-1"}, "--num-preds"),
                Arguments.of(new String[] {"--num-preds", "many"}, "--num-preds"),
                Arguments.of(new String[] {"--alpha", "2"}, "--alpha"),
                Arguments.of(new String[] {"--strategy", "greedy", "--temperature", "0.5"}, "--temperature"),
                Arguments.of(new String[] {"--top-k", "3"}, "--top-k"),
                Arguments.of(new String[] {"--strategy", "beam"}, "--strategy"),
                Arguments.of(new String[] {"--strategy", "sample", "--alpha", "0"}, "--alpha"),
                Arguments.of(new String[] {"--strategy", "sample", "--alpha", "-1"}, "--alpha"),
                Arguments.of(new String[] {"--strategy", "sample", "--alpha", "NaN"}, "--alpha"),
                Arguments.of(new String[] {"--strategy", "sample", "--temperature", "0"}, "--temperature"),
                Arguments.of(new String[] {"--strategy", "sample", "--temperature", "-1"}, "--temperature"),
                Arguments.of(new String[] {"--strategy", "sample", "--temperature", "2", "--alpha", "0.5"}, "--alpha"),
                Arguments.of(new String[] {"--strategy", "sample", "--top-k", "-1"}, "--top-k"),
                Arguments.of(new String[] {"--bogus"}, "--bogus"));
    }

    @ParameterizedTest
    @MethodSource("badGenerateOptions")
    void generateRefusesBadOption(String[] bad, String mention) {
        Cli.run(Cli.concat(new String[] {"generate", "--model", model.toString()}, bad)).refused(mention);
        assertThat(model).hasBinaryContent(modelBytes);
    }

    @Test
    void generateNeedsAModel() {
        Cli.run("generate").refused("--model");
        Cli.run("eval", "--data", book.toString()).refused("--model");
    }

    @Test
    void evalRefusesBadOptions() {
        Cli.run("eval", "--model", model.toString(), "--data", book.toString(), "--max-tokens", "-1").refused("--max-tokens");
        Cli.run("eval", "--model", model.toString(), "--bogus").refused("--bogus");
    }

    @Test
    void evalRefusesBadDataFiles() throws IOException {
        for (BadData bad : BadData.values()) {
            Path data = bad.make(tmp);
            Cli.Result r = Cli.run("eval", "--model", model.toString(), "--data", data.toString());
            assertThat(r.code()).as("%s: %s", bad, r.err()).isEqualTo(2);
            r.refused(data.getFileName().toString());
        }
        Path one = tmp.resolve("one.txt");
        Files.writeString(one, "a");
        Cli.run("eval", "--model", model.toString(), "--data", one.toString()).refused("one.txt", "2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"train", "generate", "eval", "bench"})
    void unknownOptionForEachCommand(String command) {
        // generate and eval get their required --model, else picocli reports that first
        String[] args = command.equals("generate") || command.equals("eval")
                ? new String[] {command, "--model", model.toString(), "--no-such-option"}
                : new String[] {command, "--no-such-option"};
        Cli.run(args).refused("--no-such-option");
    }

    @Test
    void unknownOptionAndCommandAtTopLevel() {
        Cli.run("--no-such-option").refused("--no-such-option");
        Cli.run("fly").refused("fly");
    }
}
