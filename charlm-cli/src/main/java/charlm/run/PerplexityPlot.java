package charlm.run;

import charlm.io.AtomicFiles;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The chapter's plot: perplexity against epoch, with the held-out curve beside it when there is one
 * (from every scoring, --eval-every ones included). Points that are not finite (a diverged run) are
 * left out, so the rest of the curve is still drawn.
 */
public final class PerplexityPlot {
    private PerplexityPlot() {
    }

    /**
     * Draws the plot into png (atomically). Returns why it could not be drawn, writing nothing, where
     * it cannot (a machine without fonts, no finite point at all): the run goes on without its picture.
     */
    public static Optional<String> write(Path png, List<EpochStats> history, List<Evaluation> evaluations, String title) throws IOException {
        List<double[]> train = new ArrayList<>(), val = new ArrayList<>();
        for (EpochStats e : history) add(train, e.epoch(), e.perplexity());
        if (!evaluations.isEmpty()) {
            for (Evaluation e : evaluations) add(val, e.epochs(), e.valPerplexity());
        } else {
            for (EpochStats e : history) if (e.hasValidation()) add(val, e.epoch(), e.valPerplexity());
        }
        int dropped = history.size() - train.size();
        if (train.isEmpty() && val.isEmpty()) {
            return Optional.of(png.getFileName() + " not drawn: no finite perplexity to plot" + (dropped > 0 ? " (the run diverged)" : ""));
        }
        byte[] bytes;
        try {
            bytes = draw(train, val, title + (dropped > 0 ? " (" + dropped + " non-finite epochs left out)" : ""));
        } catch (RuntimeException | LinkageError | InternalError e) {
            return Optional.of(png.getFileName() + " not drawn: " + why(e));
        }
        AtomicFiles.write(png, out -> out.write(bytes));
        return Optional.empty();
    }

    private static void add(List<double[]> points, double x, double y) {
        if (Double.isFinite(y)) points.add(new double[] {x, y});
    }

    /** Headless Java without fonts fails deep in AWT; say what to install. Anything else, say what it was. */
    private static String why(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = String.valueOf(t.getMessage()).toLowerCase(java.util.Locale.ROOT);
            for (StackTraceElement s : t.getStackTrace()) {
                if (s.getClassName().contains("Font") || m.contains("font")) {
                    return "headless Java found no fonts; apt-get install -y fontconfig fonts-dejavu-core";
                }
            }
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }

    private static byte[] draw(List<double[]> train, List<double[]> val, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch").yAxisTitle("perplexity").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisTickMarkSpacingHint(80);
        chart.getStyler().setXAxisDecimalPattern("#.#");
        chart.getStyler().setMarkerSize(0);
        if (!train.isEmpty()) chart.addSeries("train", xs(train), ys(train)).setMarker(SeriesMarkers.NONE);
        if (!val.isEmpty()) chart.addSeries("validation", xs(val), ys(val)).setMarker(SeriesMarkers.NONE);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }

    private static double[] xs(List<double[]> p) {
        return p.stream().mapToDouble(a -> a[0]).toArray();
    }

    private static double[] ys(List<double[]> p) {
        return p.stream().mapToDouble(a -> a[1]).toArray();
    }
}
