package charlm.cli;

import charlm.io.AtomicFiles;
import charlm.train.EpochStats;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The chapter's plot: perplexity against epoch, with the held-out curve beside it when there is one. */
final class PerplexityPlot {
    private PerplexityPlot() {
    }

    static final String NO_FONTS = "perplexity.png not drawn: headless Java found no fonts; apt-get install -y fontconfig fonts-dejavu-core";

    /**
     * Draws the plot into png (atomically). Returns false, writing nothing, where the JVM cannot draw
     * text (a machine without fonts): the run goes on without its picture.
     */
    static boolean write(Path png, List<EpochStats> history, String title) throws IOException {
        byte[] bytes;
        try {
            bytes = draw(history, title);
        } catch (RuntimeException | LinkageError | InternalError e) {
            return false;
        }
        AtomicFiles.write(png, out -> out.write(bytes));
        return true;
    }

    private static byte[] draw(List<EpochStats> history, String title) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(500).title(title).xAxisTitle("epoch").yAxisTitle("perplexity").build();
        chart.getStyler().setLegendVisible(true);
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.InsideNE);
        chart.getStyler().setXAxisTickMarkSpacingHint(80);
        chart.getStyler().setXAxisDecimalPattern("#");
        chart.getStyler().setMarkerSize(0);
        int n = history.size();
        double[] epochs = new double[n], train = new double[n], val = new double[n];
        for (int i = 0; i < n; i++) {
            epochs[i] = history.get(i).epoch();
            train[i] = history.get(i).perplexity();
            val[i] = history.get(i).valPerplexity();
        }
        chart.addSeries("train", epochs, train).setMarker(SeriesMarkers.NONE);
        if (n > 0 && history.get(0).hasValidation()) chart.addSeries("validation", epochs, val).setMarker(SeriesMarkers.NONE);
        return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
    }
}
