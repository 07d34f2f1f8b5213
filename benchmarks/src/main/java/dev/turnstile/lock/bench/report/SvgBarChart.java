package dev.turnstile.lock.bench.report;

import java.util.List;
import java.util.Locale;

/**
 * A grouped bar chart as a self-contained SVG string, on a log scale (lock throughputs and waits
 * span several orders of magnitude). One group per workload, one bar per contender; a missing value
 * (NaN) leaves a gap.
 */
public final class SvgBarChart {
    private static final String[] PALETTE = {
        "#d62728", "#ff7f0e", "#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22", "#17becf"};
    private static final int BAR = 11;
    private static final int GROUP_GAP = 18;
    private static final int LEFT = 70;
    private static final int TOP = 40;
    private static final int PLOT_HEIGHT = 260;

    private SvgBarChart() {
    }

    /**
     * @param title  the chart's heading
     * @param unit   the y axis's label
     * @param groups one label per group (x axis)
     * @param series one label per bar in a group (legend)
     * @param values {@code values[series][group]}, NaN where missing
     */
    public static String render(String title, String unit, List<String> groups, List<String> series, double[][] values) {
        double min = Double.MAX_VALUE;
        double max = 0;
        for (double[] row : values) {
            for (double v : row) {
                if (v > 0 && !Double.isNaN(v)) {
                    min = Math.min(min, v);
                    max = Math.max(max, v);
                }
            }
        }
        if (max == 0) {
            min = 1;
            max = 10;
        }
        int lowDecade = (int) Math.floor(Math.log10(min));
        int highDecade = Math.max(lowDecade + 1, (int) Math.ceil(Math.log10(max)));
        int groupWidth = series.size() * BAR + GROUP_GAP;
        int plotWidth = groups.size() * groupWidth;
        int legendTop = TOP + PLOT_HEIGHT + 50;
        int width = LEFT + plotWidth + 20;
        int height = legendTop + 18 * ((series.size() + 1) / 2) + 10;
        StringBuilder svg = new StringBuilder();
        svg.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-family=\"sans-serif\" font-size=\"11\">%n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>%n",
                width, height, width, height));
        svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\" font-weight=\"bold\">%s</text>%n",
                LEFT, esc(title)));
        svg.append(String.format(Locale.ROOT,
                "<text transform=\"translate(14,%d) rotate(-90)\" text-anchor=\"middle\">%s (log scale)</text>%n",
                TOP + PLOT_HEIGHT / 2, esc(unit)));
        for (int d = lowDecade; d <= highDecade; d++) {
            double y = y(Math.pow(10, d), lowDecade, highDecade);
            svg.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n",
                    LEFT, y, LEFT + plotWidth, y, LEFT - 4, y + 4, decade(d)));
        }
        for (int g = 0; g < groups.size(); g++) {
            int x0 = LEFT + g * groupWidth + GROUP_GAP / 2;
            for (int s = 0; s < series.size(); s++) {
                double v = values[s][g];
                if (Double.isNaN(v) || v <= 0) {
                    continue;
                }
                double y = y(v, lowDecade, highDecade);
                svg.append(String.format(Locale.ROOT,
                        "<rect x=\"%d\" y=\"%.1f\" width=\"%d\" height=\"%.1f\" fill=\"%s\"><title>%s, %s: %s</title></rect>%n",
                        x0 + s * BAR, y, BAR - 1, TOP + PLOT_HEIGHT - y, color(s), esc(series.get(s)), esc(groups.get(g)),
                        String.format(Locale.ROOT, "%.4g", v)));
            }
            svg.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                    x0 + series.size() * BAR / 2, TOP + PLOT_HEIGHT + 16, esc(groups.get(g))));
        }
        svg.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + PLOT_HEIGHT, LEFT + plotWidth, TOP + PLOT_HEIGHT));
        for (int s = 0; s < series.size(); s++) {
            int x = LEFT + (s % 2) * 300;
            int y = legendTop + (s / 2) * 18;
            svg.append(String.format(Locale.ROOT,
                    "<rect x=\"%d\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"%d\" y=\"%d\">%s</text>%n",
                    x, y - 10, color(s), x + 16, y, esc(series.get(s))));
        }
        return svg.append("</svg>\n").toString();
    }

    private static double y(double v, int lowDecade, int highDecade) {
        double f = (Math.log10(v) - lowDecade) / (highDecade - lowDecade);
        return TOP + PLOT_HEIGHT * (1 - Math.max(0, Math.min(1, f)));
    }

    private static String decade(int d) {
        return d >= 0 && d <= 6 ? String.format(Locale.ROOT, "%,d", (long) Math.pow(10, d)) : "1e" + d;
    }

    private static String color(int series) {
        return PALETTE[series % PALETTE.length];
    }

    static String esc(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
