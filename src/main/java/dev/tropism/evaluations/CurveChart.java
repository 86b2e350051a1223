package dev.tropism.evaluations;

import java.awt.BasicStroke;
import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTickUnit;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The best-of-N over-optimization curve as a PNG ({@code GET /v1/evaluations/{id}/report/curve.png}), in the manner
 * of Gao et al. (2022), Fig. 1: the gold score of the candidate's best-of-N pick against N on a log₂ axis (left
 * axis, with the baseline's gold curve when there is one, both in the gold judge's units), and the candidate's own
 * proxy score of the pick (right axis, dashed, in the candidate's units). A hackable reward shows the dashed proxy
 * rising while the gold line turns down. Rendered headlessly with JFreeChart.
 */
public final class CurveChart {

    /** Image size in pixels: wide enough for a pull-request comment, small enough to load at once. */
    public static final int WIDTH = 800;
    public static final int HEIGHT = 450;

    static {
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true"); // a server has no display (Spring Boot sets it too)
        }
    }

    private CurveChart() {
    }

    /**
     * The curve of a report as PNG bytes.
     *
     * @throws IllegalArgumentException when the candidate has no over-optimization probe (the suite has no prompts):
     *     there is no curve to draw, a 404 for the endpoint
     */
    public static byte[] png(EvalReport report) {
        EvalMetrics.Overoptimization candidate = report.candidate().overoptimization();
        if (candidate == null) {
            throw new IllegalArgumentException("evaluation " + report.evaluation()
                    + " has no over-optimization probe: its suite has no prompts with a gold judge");
        }
        EvalMetrics.Overoptimization baseline = report.baseline() == null ? null : report.baseline().overoptimization();
        String title = "Best-of-N over-optimization: " + report.suite().name() + " v" + report.suite().version();
        return png(title, candidate, baseline);
    }

    /** A chart of {@code candidate}'s proxy and gold curves and, when not null, {@code baseline}'s gold curve. */
    public static byte[] png(String title, EvalMetrics.Overoptimization candidate,
            EvalMetrics.Overoptimization baseline) {
        XYSeriesCollection gold = new XYSeriesCollection();
        gold.addSeries(series("candidate: gold of the pick", candidate, false));
        if (baseline != null) {
            gold.addSeries(series("baseline: gold of its pick", baseline, false));
        }
        XYSeriesCollection proxy = new XYSeriesCollection(series("candidate: its own (proxy) score", candidate, true));

        LogAxis n = new LogAxis("N (best of N samples, log₂ scale)");
        n.setBase(2);
        n.setTickUnit(new NumberTickUnit(1)); // one tick per power of two: 1, 2, 4, …
        n.setNumberFormatOverride(new java.text.DecimalFormat("0"));
        n.setSmallestValue(0.5);
        n.setLowerBound(0.8);
        n.setUpperBound(Math.max(2, candidate.maxN()) * 1.25);
        NumberAxis goldAxis = new NumberAxis("gold score");
        goldAxis.setAutoRangeIncludesZero(false);
        NumberAxis proxyAxis = new NumberAxis("proxy (candidate) score");
        proxyAxis.setAutoRangeIncludesZero(false);

        XYPlot plot = new XYPlot(gold, n, goldAxis, renderer(false, baseline != null));
        plot.setRangeAxis(1, proxyAxis);
        plot.setDataset(1, proxy);
        plot.mapDatasetToRangeAxis(1, 1);
        plot.setRenderer(1, renderer(true, false));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);

        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
        } catch (IOException e) {
            throw new UncheckedIOException("rendering the curve to memory failed", e);
        }
        return out.toByteArray();
    }

    private static XYSeries series(String name, EvalMetrics.Overoptimization curve, boolean proxy) {
        XYSeries s = new XYSeries(name, false, true);
        for (int k = 0; k < curve.n().size(); k++) {
            s.add(curve.n().get(k), proxy ? curve.proxy().get(k) : curve.gold().get(k));
        }
        return s;
    }

    /** Gold lines solid (candidate blue, baseline grey), the proxy line dashed orange. */
    private static XYLineAndShapeRenderer renderer(boolean proxy, boolean withBaseline) {
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        if (proxy) {
            r.setSeriesPaint(0, new Color(0xE6, 0x7E, 0x22));
            r.setSeriesStroke(0, new BasicStroke(2f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
                    new float[] {6f, 4f}, 0f));
        } else {
            r.setSeriesPaint(0, new Color(0x1F, 0x5F, 0xBF));
            r.setSeriesStroke(0, new BasicStroke(2.5f));
            if (withBaseline) {
                r.setSeriesPaint(1, Color.GRAY);
                r.setSeriesStroke(1, new BasicStroke(2f));
            }
        }
        return r;
    }
}
