"""Quick steps: the player's first, back, next and last buttons and its slider (dragged, its number
entered, or moved by the play timer) change the picture in the browser at once, from the looks its
sheet already holds, while the click or the slider's value goes to the kernel as before.

A click's round trip to the kernel (tens of milliseconds here, far more on Binder) is what a
student waits for; the looks of every step of a sheet are on the page already. So the sheet comes
with `steps_element`: per step, which looks it shows (as differences from the step before) and its
table marks. A script of the sheet (an image's onload, as `follow_image`; where no script runs
nothing changes) listens to the player's buttons and slider. On a click it reads which looks the
kernel's stylesheets show now and gives each element that must look otherwise at the new step its
own style (shown or hidden, a table row's mark), so the picture and table are the new step's, whole,
before the kernel has heard of the click; the player is marked with QUICK_ATTR meanwhile. It also
sets the buttons on and off and changes the texts of the status line above the picture, as the
kernel will. It writes no stylesheet and makes no new element for a step: either makes a browser
restyle the whole page (15-20 ms in Chromium for a page holding a ~200-node sheet, even for a rule
that matches nothing), where the few dozen elements a step changes take about a millisecond. The
caption below the picture is the kernel's (its formulas are typeset in the page): until the kernel's
look comes it is marked stale, and fades if the wait is long.

The kernel stays in charge: it counts the clicks it handled and writes the count into the part of
its look that arrives last (`follow_image`). Once that count reaches the clicks made here, the
kernel's look is the step the browser shows (the same rules, from the same sheet), and the script
hands back: the elements lose their own styles, the mark goes (after the slider moved: once the
kernel's look shows the slider's step). A kernel look that comes before (an earlier click handled)
is drawn over again. Whatever the kernel does meanwhile (a click it handles otherwise, a new
sheet) is what shows then. Predict mode never steps here: it asks before showing."""

from __future__ import annotations

import html
import json

from backprop_viz.render.sheet import VARIANT

__all__ = ["follow_image", "hook_image", "steps_element", "step_marker", "LIVE_PREFIX", "QUICK_ATTR", "STALE_CSS"]

LIVE_PREFIX = "bpv-live-"  # a live player's class; on the page's root, its still picture hides
QUICK_ATTR = "data-bpv-quick-step"  # on the player while the page shows a quick step (its value: the step)
STALE_CLASS = "bpv-stale"  # on the caption while it still tells the step before a quick step
# A stale caption fades only when the kernel is slow to answer (a busy kernel, a far server): within a
# quarter second, the usual round trip, the kernel's caption comes before anything changes.
STALE_CSS = f".bpv-caption.{STALE_CLASS}{{opacity:.35;transition:opacity .2s ease .25s}}"
# Scrolls the picture's box so the active node (or edge) is in view: `i` is any element inside the
# player. It finds the player's box, and there the active look drawn.
FOLLOW_JS = ("function(i){"
             "var p=i.closest('.bpv-player'),b=p&&p.querySelector('.bpv-scroll');if(!b)return;"
             "var f=function(c){var l=b.getElementsByClassName(c);for(var j=0;j<l.length;j++){"
             "if(!l[j].closest('svg .bv-graph'))continue;"
             "var r=l[j].getBoundingClientRect();if(r.width||r.height)return l[j];}return null;};"
             "var a=f('s2')||f('e2');if(a){"
             "var o=b.getBoundingClientRect(),r=a.getBoundingClientRect();"
             "if(r.top<o.top||r.bottom>o.bottom)b.scrollTop+=r.top-o.top-(o.height-r.height)/2;"
             "if(r.left<o.left||r.right>o.right)b.scrollLeft+=r.left-o.left-(o.width-r.width)/2;}"
             "var h=b.nextElementSibling;if(h)"
             "h.style.display=b.scrollWidth>b.clientWidth+1||b.scrollHeight>b.clientHeight+1?'block':'none';}")
_FOLLOW_ONLOAD = html.escape(f"({FOLLOW_JS})(this)")
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw=="


def follow_image(k, clicks):
    """The image that scrolls the active node into view once step k's look is shown; it closes the
    kernel's look of step k after `clicks` button clicks handled."""
    return (f'<img alt="" class="bpv-follow" style="display:none" data-step="{k}" data-clicks="{clicks}" '
            f'src="{_PIXEL}" onload="{_FOLLOW_ONLOAD}">')


def step_marker(k, clicks):
    """Which step a look part belongs to, where the part does not end the look."""
    return f'<i class="bpv-at" hidden data-step="{k}" data-clicks="{clicks}"></i>'


def steps_element(first, last, n, looks, rows, statuses, on):
    """The data of quick steps for a sheet of steps first..last of n: `looks[i]`, the classes step
    first + i shows; `rows[i]`, its table marks as CSS; `statuses[i]`, its status line above the
    picture as (phase pill, text) HTML, written "pill text" (each pill written once); `on`, whether
    buttons step here at all.
    Classes are written once for the first step, then per step those hidden and those shown
    ("h h/s s;…"), without the prefix all of them share."""
    diffs, was = [], set(looks[0])
    for before, now in zip(looks, looks[1:]):
        shown = set(now)
        diffs.append(([c for c in before if c not in shown], [c for c in now if c not in was]))
        was = shown
    written = [*looks[0], *(c for hidden, shown in diffs for c in (*hidden, *shown))]
    prefix = written[0][:5] if written and all(c[:5] == written[0][:5] for c in written) else ""
    cut = len(prefix)

    def names(classes):
        return " ".join(c[cut:] for c in classes)

    pills = list(dict.fromkeys(pill for pill, _ in statuses))
    data = {"on": bool(on), "first": first, "last": last, "n": n, "prefix": prefix, "base": names(looks[0]),
            "diffs": ";".join(f"{names(hidden)}/{names(shown)}" for hidden, shown in diffs), "rows": rows,
            "pills": pills, "status": [[pills.index(pill), text] for pill, text in statuses]}
    return f'<i class="bpv-steps" hidden data-steps="{html.escape(json.dumps(data, separators=(",", ":")))}"></i>'


# The script that steps in the browser, once per player element (see the module's text). A quick
# step waits for the kernel in one of two ways: after clicks (st.clicks: the count the kernel's look
# must reach; st.at: the step the page shows), or after the slider moved in the page — dragged, its
# number entered, or played (st.slide: the step the kernel's look must show).
_HOOK_JS = ("function(img){"
            "var p=img.closest('.bpv-player');if(!p)return;if(p.__bpvQuick){p.__bpvQuick.warm();return;}"
            # the live player is on the page: its still picture (player.static_html) gives way
            "p.classList.forEach(function(c){if(c.indexOf('" + LIVE_PREFIX + "')===0)"
            "document.documentElement.classList.add(c);});"
            "var st=p.__bpvQuick={clicks:null,at:null,slide:null,own:[],seen:[],q:{}};"
            "var follow=" + FOLLOW_JS + ";"
            "function one(q){var e=st.q[q];if(!e||!p.contains(e))e=st.q[q]=p.querySelector(q);return e;}"
            "function mark(){var l=one('.bpv-step-look'),m=l&&l.querySelector('[data-step]');"
            "return m?[+m.getAttribute('data-step'),+m.getAttribute('data-clicks')]:null;}"
            "function data(){var e=one('.bpv-frame .bpv-steps');if(!e)return null;"
            "if(!e.__d){var d=JSON.parse(e.getAttribute('data-steps')),x=d.prefix;"
            "var w=function(t){return t?t.split(' ').map(function(c){return x+c;}):[];};"
            "d.diffs=d.diffs?d.diffs.split(';').map(function(t){var h=t.split('/');return [w(h[0]),w(h[1])];}):[];"
            "d.k=d.first;d.set=new Set(w(d.base));e.__d=d;}return e.__d;}"
            "function looks(d,t){var s=d.set;"
            "while(d.k<t){var x=d.diffs[d.k-d.first];x[0].forEach(function(c){s.delete(c);});"
            "x[1].forEach(function(c){s.add(c);});d.k++;}"
            "while(d.k>t){var y=d.diffs[d.k-d.first-1];y[1].forEach(function(c){s.delete(c);});"
            "y[0].forEach(function(c){s.add(c);});d.k--;}return Array.from(s);}"
            # first and back are off at step 0, next and last at the end (as the kernel sets them)
            "function ends(t,n){var f=function(c,off){var b=one('button.'+c);if(b)b.disabled=off;};"
            "f('bpv-first',t===0);f('bpv-back',t===0);f('bpv-next',t===n);f('bpv-last',t===n);}"
            # the status line above the picture: the page's text (marked) until the kernel's is the same step's
            # (its texts changed in place where it has the kernel's form, a pill and a text: new elements there
            # make the browser restyle the whole page)
            "function status(d,t){var w=one('.bpv-status .widget-html-content');"
            "if(!w||t<d.first||t>d.last)return;var q=w.querySelector('[data-bpv-quick]');"
            "if(q&&+q.getAttribute('data-bpv-quick')===t)return;"
            "var e=d.status[t-d.first],h=d.pills[e[0]]+' '+e[1],f=document.createElement('template');f.innerHTML=h;"
            "var g=f.content.firstChild,s=w.firstChild,n=s&&s.nextSibling;"
            "if(s&&s.nodeName==='SPAN'&&s.childNodes.length===1&&s.firstChild.nodeType===3&&n&&n.nodeType===3"
            "&&g&&g.nodeName==='SPAN'&&g.nextSibling&&g.nextSibling.nodeType===3){"
            "s.firstChild.data=g.textContent;s.style.cssText=g.style.cssText;n.data=g.nextSibling.data;"
            "if(!q){q=document.createElement('i');q.hidden=true;w.appendChild(q);}q.setAttribute('data-bpv-quick',t);}"
            "else w.innerHTML=h+'<i hidden data-bpv-quick=\"'+t+'\"></i>';}"
            # the caption below is the kernel's: marked stale from a quick step until the kernel's look comes
            "function stale(on){var c=one('.bpv-caption');if(c)c.classList.toggle('" + STALE_CLASS + "',on);}"
            # look class -> its elements (every look of the picture and the table shown at some steps only),
            # made again when the picture or the table is another
            "function index(d){var tb=one('.bpv-table'),sv=one('.bpv-frame svg');"
            "if(!d.idx||d.tb!==tb||d.sv!==sv){"
            "var m=new Map(),l=p.querySelectorAll('." + VARIANT + "');"
            "for(var i=0;i<l.length;i++){var cl=l[i].classList;for(var j=0;j<cl.length;j++){var c=cl[j];"
            "if(c!=='" + VARIANT + "'){var a=m.get(c);if(a)a.push(l[i]);else m.set(c,[l[i]]);}}}"
            "d.idx=m;d.tb=tb;d.sv=sv;}return d.idx;}"
            # a new sheet is indexed once the page has drawn it, not at the first click
            "st.warm=function(){setTimeout(function(){var d=data();if(d)index(d);},0);};st.warm();"
            "function sheets(){var o=[];['.bpv-look','.bpv-step-look'].forEach(function(q){var e=one(q);"
            "if(e)o.push.apply(o,e.querySelectorAll('style'));});return o;}"
            # what the kernel's stylesheets show now: the classes shown (shown by a plain class, not hidden
            # by a doubled one) and their other rules (the table's marks)
            "function kernel(l){var show=new Set(),hide=new Set(),rest='';"
            "l.forEach(function(e){e.textContent.split('}').forEach(function(r){var i=r.indexOf('{');if(i<1)return;"
            "var sel=r.slice(0,i),dec=r.slice(i+1),ss=sel.split(',');"
            "if(dec==='display:inline'&&ss.every(function(x){return /^\\.[\\w-]+$/.test(x);}))"
            "ss.forEach(function(x){show.add(x.slice(1));});"
            "else if(dec==='display:none'&&ss.every(function(x){return /^\\.([\\w-]+)\\.\\1$/.test(x);}))"
            "ss.forEach(function(x){hide.add(x.slice(1,x.indexOf('.',1)));});"
            "else if(sel.indexOf('.bpv-scroll-')<0)rest+=r+'}';});});"
            "hide.forEach(function(c){show.delete(c);});return [show,rest];}"
            # rules (a step's table marks) as element of the table -> {property: value}
            "function marks(css){var m=new Map();(css||'').split('}').forEach(function(r){var i=r.indexOf('{'),l;"
            "if(i<1)return;try{l=(one('.bpv-table')||p).querySelectorAll(r.slice(0,i));}catch(e){return;}"
            "var ds=r.slice(i+1).split(';');"
            "for(var j=0;j<l.length;j++){var o=m.get(l[j]);if(!o)m.set(l[j],o={});"
            "ds.forEach(function(x){var k=x.indexOf(':');if(k>0)o[x.slice(0,k).trim()]=x.slice(k+1).trim();});}});"
            "return m;}"
            "function put(e,k,v){e.style.setProperty(k,v);st.own.push([e,k]);}"
            "function clear(){st.own.forEach(function(x){x[0].style.removeProperty(x[1]);});st.own=[];}"
            # step t drawn over the kernel's look: each element that must look otherwise gets its own
            # style (any stylesheet change makes the browser restyle the whole page, tens of ms)
            "function paint(d,t){clear();var l=sheets(),k=kernel(l),have=k[0],want=new Set(looks(d,t));st.seen=l;"
            "index(d).forEach(function(els,c){var w=want.has(c);if(have.has(c)===w)return;"
            "for(var i=0;i<els.length;i++)put(els[i],'display',w?'inline':'none');});"
            "var a=marks(d.rows[t-d.first]),b=marks(k[1]);"
            "a.forEach(function(o,e){var q=b.get(e)||{};for(var x in o)if(q[x]!==o[x])put(e,x,o[x]);});"
            "b.forEach(function(q,e){var o=a.get(e)||{};for(var x in q)if(!(x in o))put(e,x,'revert');});}"
            # the slider's handle and number at step t, drawn in the page only (its widget would send a value
            # set through it to the kernel, which would take the step twice); K: the handle's travel, in %
            "function handle(t){var s=one('.bpv-slider'),o=s&&s.querySelector('.noUi-origin'),"
            "h=o&&o.querySelector('[aria-valuenow]'),r=s&&s.querySelector('.widget-readout');if(!h)return;"
            "var lo=+h.getAttribute('aria-valuemin'),hi=+h.getAttribute('aria-valuemax');if(!(hi>lo))return;"
            "if(st.o!==o){var x=/translate\\(([-\\d.e]+)%/.exec(o.style.transform),"
            "v=(+h.getAttribute('aria-valuenow')-lo)/(hi-lo);if(!x)return;"
            "st.K=v<1?+x[1]/(v-1):100*o.parentNode.offsetWidth/o.offsetWidth;st.o=o;}"
            "var f=(Math.min(Math.max(t,lo),hi)-lo)/(hi-lo);o.style.transform='translate('+(f-1)*st.K+'%, 0px)';"
            "if(r){var n=r.firstChild;if(n&&n.nodeType===3&&!n.nextSibling)n.data=String(t);else r.textContent=String(t);}}"
            "function release(){var shown=st.at!==null?st.at:st.slide;st.clicks=null;st.at=null;st.slide=null;"
            "clear();p.removeAttribute('" + QUICK_ATTR + "');stale(false);"
            "var h=one('.bpv-slider [aria-valuenow]');if(h)handle(+h.getAttribute('aria-valuenow'));"
            "var m=mark(),d=data();if(m&&d){ends(m[0],d.n);if(m[0]!==shown)status(d,m[0]);}}"
            "function show(d,t){paint(d,t);p.setAttribute('" + QUICK_ATTR + "',t);ends(t,d.n);status(d,t);handle(t);"
            "stale(true);follow(p);}"
            "function done(e){if(!e||e.nodeType!==1)return false;"
            "if(!e.classList.contains('bpv-follow')){e=e.querySelector('.bpv-follow');if(!e)return false;}"
            "return st.clicks!==null?+e.getAttribute('data-clicks')>=st.clicks:+e.getAttribute('data-step')===st.slide;}"
            "p.addEventListener('click',function(ev){"
            "var b=ev.target&&ev.target.closest?ev.target.closest('button'):null;"
            "if(!b||b.disabled||!p.contains(b))return;var c=b.classList;"
            "var dir=c.contains('bpv-next')?1:c.contains('bpv-back')?-1:c.contains('bpv-first')?-2:"
            "c.contains('bpv-last')?2:0;if(!dir)return;"
            "if(st.clicks===null){var m=mark();if(!m)return;st.at=st.slide!==null?st.slide:m[0];st.clicks=m[1];"
            "st.slide=null;}"
            "st.clicks++;var d=data(),k=st.at;if(!d||!d.on)return;"
            "var t=dir===1?Math.min(k+1,d.n):dir===-1?Math.max(k-1,0):dir===-2?0:d.n;st.at=t;"
            "if(t!==k&&t>=d.first&&t<=d.last)show(d,t);},true);"
            "new MutationObserver(function(recs){if(st.clicks===null&&st.slide===null)return;"
            "for(var r=0;r<recs.length;r++){var a=recs[r].addedNodes;"
            "for(var j=0;j<a.length;j++)if(done(a[j])){release();return;}}"
            # the kernel's look changed while a quick step shows: drawn again over the new one
            "var d=data(),t=st.clicks!==null?st.at:st.slide,l=sheets();if(d&&p.hasAttribute('" + QUICK_ATTR + "')"
            "&&(l.length!==st.seen.length||l.some(function(e,i){return e!==st.seen[i];}))){paint(d,t);status(d,t);}"
            "}).observe(p,{childList:true,subtree:true});"
            # the slider moves in the page first (dragged, its number typed and entered, the play
            # timer): its handle's aria-valuenow says where to
            "var sl=p.querySelector('.bpv-slider');"
            # (after clicks, the kernel moving the slider to a step it has caught up with puts it back)
            "if(sl)new MutationObserver(function(recs){if(st.clicks!==null){"
            "if(p.hasAttribute('" + QUICK_ATTR + "'))handle(st.at);return;}"
            "var t=Math.round(parseFloat(recs[recs.length-1].target.getAttribute('aria-valuenow'))),d=data(),m=mark();"
            "if(isNaN(t)||!d||!d.on||!m)return;"
            "var k=st.slide!==null?st.slide:m[0];if(t===k||t<d.first||t>d.last)return;"
            "st.slide=t;show(d,t);}).observe(sl,{attributes:true,attributeFilter:['aria-valuenow'],subtree:true});}")


def hook_image():
    """The image whose onload sets quick steps up for the player it is shown in (once per player)."""
    return _HOOK


_HOOK = f'<img alt="" class="bpv-hook" style="display:none" src="{_PIXEL}" onload="{html.escape(f"({_HOOK_JS})(this)")}">'
