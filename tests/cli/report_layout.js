// report_layout.js — what a program can check of the HTML report's layout
// in a browser (tests/cli/test_report.sh injects it into a copy of the
// report and reads the result from the DOM headless Chromium dumps):
//   overflow: a text that leaves its chart's box, or a page wider than the
//             window;
//   dup:      two series of one chart drawn with the same colour and style;
//   empty:    a chart without a data point (the report writes a sentence
//             instead of an empty chart);
//   axis:     an axis end more than one tick beyond the data (a linear axis
//             that starts at 0, so lengths read true, is exempt at 0).
(function () {
  var out = {charts: 0, overflow: [], dup: [], empty: [], axis: []};
  var doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1)
    out.overflow.push('page: ' + doc.scrollWidth + ' px wide in a ' + doc.clientWidth + ' px window');
  function num(el, a) { return parseFloat(el.getAttribute(a)); }
  document.querySelectorAll('svg.rb-chart').forEach(function (svg) {
    var id = svg.id || '(no id)', box = svg.getBoundingClientRect();
    out.charts++;
    svg.querySelectorAll('text').forEach(function (t) {
      var r = t.getBoundingClientRect();
      if (r.width > 0 && (r.left < box.left - 1 || r.right > box.right + 1 ||
                          r.top < box.top - 1 || r.bottom > box.bottom + 1))
        out.overflow.push(id + ': "' + t.textContent.slice(0, 50) + '"');
    });
    if (svg.getAttribute('data-points') === '0') out.empty.push(id);
    var seen = {};
    svg.querySelectorAll('g.rb-series').forEach(function (g) {
      var pl = g.querySelector('polyline');
      var key = pl ? 'line ' + pl.getAttribute('stroke') + ' ' + (pl.getAttribute('stroke-dasharray') || 'solid') +
                     ' ' + (pl.getAttribute('stroke-opacity') || '1')
                   : 'points ' + (g.getAttribute('stroke') ? 'hollow ' + g.getAttribute('stroke')
                                                           : g.getAttribute('fill'));
      if (seen[key]) out.dup.push(id + ': ' + key);
      seen[key] = 1;
    });
    var frame = svg.querySelector('rect.rb-frame');
    if (!frame || svg.classList.contains('rb-bars') || svg.getAttribute('data-points') === '0') return;
    var fx0 = num(frame, 'x'), fy0 = num(frame, 'y');
    var fx1 = fx0 + num(frame, 'width'), fy1 = fy0 + num(frame, 'height');
    var xs = [], ys = [];
    svg.querySelectorAll('g.rb-series circle, g.rb-mark circle').forEach(function (c) {
      xs.push(num(c, 'cx')); ys.push(num(c, 'cy'));
    });
    // ticks: the major grid's lines, vertical for x, horizontal for y
    var tx = [], ty = [];
    svg.querySelectorAll('g.rb-grid line').forEach(function (l) {
      if (num(l, 'x1') === num(l, 'x2')) tx.push(num(l, 'x1'));
      else if (num(l, 'y1') === num(l, 'y2')) ty.push(num(l, 'y1'));
    });
    tx.sort(function (a, b) { return a - b; });
    ty.sort(function (a, b) { return a - b; });
    function zeroStart(cls, low) { // the tick label at the low end reads 0
      var best = null;
      svg.querySelectorAll('text.' + cls).forEach(function (t) {
        var v = cls === 'rb-tick-x' ? num(t, 'x') : -num(t, 'y');
        if (best === null || v < best.v) best = {v: v, t: t.textContent};
      });
      return best && best.t === '0';
    }
    function check(name, kind, ticks, lo, hi, dmin, dmax, zeroLow) {
      if (kind === 'category' || ticks.length < 3 || !xs.length) return;
      // the data's extremes reach past the second tick from each end
      if (!zeroLow && dmin > ticks[1] + 1)
        out.axis.push(id + ': ' + name + ' axis starts more than a tick before the data');
      if (dmax < ticks[ticks.length - 2] - 1)
        out.axis.push(id + ': ' + name + ' axis ends more than a tick past the data');
    }
    check('x', svg.getAttribute('data-x-axis'), tx, fx0, fx1, Math.min.apply(null, xs),
          Math.max.apply(null, xs), svg.getAttribute('data-x-axis') === 'linear' && zeroStart('rb-tick-x'));
    // y grows downward: the data's low value is the largest y
    var tyr = ty.map(function (v) { return -v; }).sort(function (a, b) { return a - b; });
    check('y', svg.getAttribute('data-y-axis'), tyr, -fy1, -fy0, -Math.max.apply(null, ys),
          -Math.min.apply(null, ys), svg.getAttribute('data-y-axis') === 'linear' && zeroStart('rb-tick-y'));
  });
  var pre = document.createElement('pre');
  pre.id = 'rb-layout-check';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
