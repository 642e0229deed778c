package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import charlm.train.CheckpointInterval.Unit;
import org.junit.jupiter.api.Test;

/** --checkpoint-every: a plain number keeps its old meaning (epochs), steps and durations are new, and each is due when it says. */
class CheckpointIntervalTest {
    @Test
    void readsEpochsStepsAndDurationsAndWritesThemBack() {
        assertThat(CheckpointInterval.parse("3")).isEqualTo(new CheckpointInterval(Unit.EPOCHS, 3));
        assertThat(CheckpointInterval.parse("2000steps")).isEqualTo(new CheckpointInterval(Unit.STEPS, 2000));
        assertThat(CheckpointInterval.parse("1 step")).isEqualTo(new CheckpointInterval(Unit.STEPS, 1));
        assertThat(CheckpointInterval.parse("10m")).isEqualTo(new CheckpointInterval(Unit.MILLISECONDS, 600_000));
        assertThat(CheckpointInterval.parse("1h30m").format()).isEqualTo("1h30m");
        for (String typed : new String[] {"0", "3", "2000steps", "90s", "10m"}) {
            CheckpointInterval v = CheckpointInterval.parse(typed);
            assertThat(CheckpointInterval.parse(v.format())).isEqualTo(v);
            assertThat(CheckpointInterval.fromJson(v.toJson())).isEqualTo(v);
        }
        // config.json files written before steps and durations hold a whole number of epochs.
        assertThat(CheckpointInterval.parse("3").toJson()).isEqualTo(3);
        assertThat(CheckpointInterval.fromJson(3)).isEqualTo(new CheckpointInterval(Unit.EPOCHS, 3));
        for (String bad : new String[] {"-1", "", "steps", "3 epochs", "1.5steps", "x"}) {
            assertThatThrownBy(() -> CheckpointInterval.parse(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
        assertThatThrownBy(() -> CheckpointInterval.fromJson(1.5)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theSettingRefusesZeroStepsAndStepsWithoutDetaching() {
        assertThatThrownBy(() -> TrainingSettings.CHECKPOINT_EVERY.parse("0steps")).hasMessageContaining("--checkpoint-every");
        assertThatThrownBy(() -> TrainingSettings.validate(TrainingSettings.book().with(TrainingSettings.DETACH, false)
                .with(TrainingSettings.CHECKPOINT_EVERY, CheckpointInterval.parse("10m")))).hasMessageContaining("--no-detach");
    }

    @Test
    void stepsAreDueOnTheirMultiplesAndTimeEachTimeItsStretchIsOver() {
        CheckpointInterval.Clock steps = CheckpointInterval.parse("5steps").clock();
        assertThat(steps.dueAfterMinibatch(4, 0)).isFalse();
        assertThat(steps.dueAfterMinibatch(5, 0)).isTrue();
        assertThat(steps.dueAfterMinibatch(10, 0)).isTrue();
        assertThat(steps.dueAtEpoch(1, 10)).isFalse();

        CheckpointInterval.Clock time = CheckpointInterval.parse("10s").clock();
        // A resumed run that had used 25 s: its next checkpoint is at 30 s, then 40 s; a slow minibatch skips none twice.
        assertThat(time.dueAfterMinibatch(1, 25)).isFalse();
        assertThat(time.dueAfterMinibatch(2, 29.9)).isFalse();
        assertThat(time.dueAfterMinibatch(3, 30.1)).isTrue();
        assertThat(time.dueAfterMinibatch(4, 35)).isFalse();
        assertThat(time.dueAfterMinibatch(5, 52)).isTrue();
        assertThat(time.dueAfterMinibatch(6, 55)).isFalse();
        assertThat(time.dueAfterMinibatch(7, 60)).isTrue();

        CheckpointInterval.Clock epochs = CheckpointInterval.parse("2").clock();
        assertThat(epochs.dueAfterMinibatch(2, 100)).isFalse();
        assertThat(epochs.dueAtEpoch(2, 10)).isTrue();
        assertThat(epochs.dueAtEpoch(3, 10)).isFalse();
        assertThat(epochs.dueAtEpoch(10, 10)).as("the end writes it anyway").isFalse();
        assertThat(CheckpointInterval.AT_END.clock().dueAtEpoch(2, 10)).isFalse();
    }
}
