// Charts: pictures written by hand as standalone SVG and HTML (line charts with linear and log
// axes, heatmaps with a colour scale, text shaded by value), deterministic for the same input,
// in colour-blind-safe palettes (Okabe–Ito, viridis, RdBu). Foundation only; nothing in the
// library below Course names it, and it names nothing of the library.
