"""What :func:`hepcourse.course.slides.build_slides` adds to every deck: the style sheet that
makes a slide hold what :mod:`.slide_plan` budgets (sizes in px of the 1280 x 720 slide;
reveal.js scales the whole slide to the screen), and a script that measures, once the deck
is ready, every slide whose content is taller or wider than the slide (read back by
:func:`hepcourse.course.slides.check_slides` from ``<body data-hepcourse-...>``).
"""
from __future__ import annotations

WIDTH, HEIGHT = 1280, 720

CSS = """
.reveal .slides section { padding: 0 24px; box-sizing: border-box; }
.reveal .jp-InputPrompt, .reveal .jp-OutputPrompt { display: none; }
.reveal .jp-Cell { padding: 0; margin: 0 0 6px 0; }
.reveal .jp-RenderedHTMLCommon, .reveal .jp-RenderedMarkdown { font-size: 25px; line-height: 1.3; padding: 0; }
.reveal .jp-RenderedHTMLCommon p, .reveal .jp-RenderedHTMLCommon li { font-size: 25px; line-height: 1.3; margin: 0 0 12px 0; }
.reveal .jp-RenderedHTMLCommon ul, .reveal .jp-RenderedHTMLCommon ol { margin: 0 0 12px 0; padding-left: 1.2em; }
.reveal .jp-RenderedHTMLCommon h1 { font-size: 46px; margin: 0 0 18px 0; }
.reveal .jp-RenderedHTMLCommon h2 { font-size: 40px; margin: 0 0 16px 0; }
.reveal .jp-RenderedHTMLCommon h3 { font-size: 34px; margin: 0 0 14px 0; }
.reveal .jp-RenderedHTMLCommon h4 { font-size: 26px; margin: 0 0 10px 0; color: #555; }
.reveal .jp-RenderedHTMLCommon code { font-size: 0.85em; }
.reveal pre, .reveal .highlight pre, .reveal .jp-RenderedText pre {
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal; overflow: visible;
  font-size: 18px; line-height: 1.28; padding: 4px 8px; margin: 0; width: auto; max-height: none;
}
.reveal .jp-RenderedText pre { font-size: 17px; }
.reveal .jp-InputArea-editor, .reveal .jp-OutputArea-output { overflow: visible; }
.reveal .jp-RenderedImage img, .reveal section img { max-height: 300px; max-width: 100%;
  width: auto; height: auto; margin: 0; }
.reveal .celltag_hepcourse-output-only img { max-height: 380px; }
.reveal .jp-RenderedHTMLCommon table { font-size: 18px; }
"""

JS = """
(function () {
  var WIDTH = WIDTH_PX, HEIGHT = HEIGHT_PX, tries = 0;
  function leaves() {
    return Array.prototype.filter.call(document.querySelectorAll('.reveal .slides section'),
      function (s) { return !s.querySelector('section'); });
  }
  function where(s) {
    var tops = Array.prototype.slice.call(document.querySelectorAll('.reveal .slides > section'));
    var top = s.parentElement.tagName === 'SECTION' ? s.parentElement : s;
    var v = top === s ? 0 : Array.prototype.indexOf.call(top.children, s);
    return tops.indexOf(top) + '/' + v;
  }
  function measure() {
    var over = [];
    leaves().forEach(function (s) {
      var display = s.style.display, height = s.style.height;
      s.style.display = 'block'; s.style.height = 'auto';
      if (s.scrollHeight > HEIGHT) { over.push(where(s) + ' ' + s.scrollHeight + 'px high'); }
      Array.prototype.forEach.call(s.querySelectorAll('pre, img, table'), function (e) {
        if (e.scrollWidth > e.clientWidth + 2 || e.getBoundingClientRect().width > WIDTH + 2) {
          over.push(where(s) + ' ' + e.tagName.toLowerCase() + ' ' + e.scrollWidth + 'px wide');
        }
      });
      s.style.display = display; s.style.height = height;
    });
    document.body.setAttribute('data-hepcourse-top',
      document.querySelectorAll('.reveal .slides > section').length);
    document.body.setAttribute('data-hepcourse-slides', leaves().length);
    document.body.setAttribute('data-hepcourse-overflow', over.join('; '));
  }
  function wait() {
    var reveal = document.querySelector('.reveal');
    if (!(reveal && reveal.classList.contains('ready')) && tries++ < 200) { return setTimeout(wait, 50); }
    if (window.MathJax && MathJax.Hub) { MathJax.Hub.Queue(measure); } else { measure(); }
  }
  window.addEventListener('load', wait);
})();
""".replace("WIDTH_PX", str(WIDTH)).replace("HEIGHT_PX", str(HEIGHT))
