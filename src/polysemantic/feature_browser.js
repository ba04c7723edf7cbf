(function(root){
 const data=JSON.parse(root.querySelector('script[type="application/json"]').textContent);
 const list=root.querySelector('[role=listbox]'),search=root.querySelector('input'),
  detail=root.querySelector('.pb-detail'),count=root.querySelector('.pb-count');
 const options=[...list.querySelectorAll('[role=option]')];
 const esc=s=>s.replace(/[&<>"]/g,c=>({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c]));
 function bar(ch,level,peak){const h=Math.round(100*level/9),a=(0.25+0.55*level/9).toFixed(2);
  const bg=h>0?`background:linear-gradient(to top,rgba(230,159,0,${a}) ${h}%,transparent ${h}%);`:'';
  const mark=peak?'border-bottom:3px solid currentColor;':'';
  return `<span style="${bg}${mark}">${esc(ch)}</span>`;}
 function show(i){const u=data[i];options.forEach((o,k)=>o.setAttribute('aria-selected',k===i));
  list.setAttribute('aria-activedescendant',options[i].id);options[i].scrollIntoView({block:'nearest'});
  const most=Math.max(1,...u.histogram);
  const rows=u.contexts.map(([domain,text,levels,peak,value])=>`<tr><td>${esc(domain)}</td><td class="ctx">${
   [...text].map((ch,k)=>bar(ch,+levels[k],k===peak)).join('')}</td><td>${value.toFixed(2)}</td></tr>`).join('');
  detail.innerHTML=`<h2>${esc(u.label)}</h2>
  <p>Best planted match: <strong>${esc(u.feature)}</strong>, F1 ${u.f1.toFixed(2)} against a chance bar of ${u.bar.toFixed(2)} (${
   u.answers?'above':'not above'} it). Answers to ${u.answered.length?u.answered.map(([n,f])=>`${esc(n)} ${f.toFixed(2)}`).join(', '):'no planted feature'}${u.answered.length===8?', …':''}. Active on ${(100*u.fires).toFixed(1)}% of positions; strongest ${u.top.toFixed(2)}.</p>
  <div class="scroll" tabindex="0" role="region" aria-label="strongest contexts"><table><caption>Strongest contexts (bar height and shade: activation after reading the character; underline: the peak)</caption>
  <thead><tr><th>domain</th><th>context</th><th>peak</th></tr></thead><tbody>${rows}</tbody></table></div>
  <p>Activations above 0, in ${u.histogram.length} equal bins from 0 to ${u.top.toFixed(2)} (bar height: square root of the count; counts ${u.histogram.join(', ')}):</p>
  <div class="hist" role="img" aria-label="histogram of activations: ${u.histogram.join(', ')}">${
   u.histogram.map(n=>`<span style="height:${(100*Math.sqrt(n/most)).toFixed(0)}%"></span>`).join('')}</div>
  <p>Bytes it pushes up most (logit per unit of activation; 0x.. is one byte of a longer character, such as Hangul): ${
   u.logits.map(([b,v])=>`<code>${esc(b)}</code> ${v.toFixed(2)}`).join(', ')}</p>`;}
 let current=0;
 function visible(){return options.map((o,k)=>o.hidden?-1:k).filter(k=>k>=0);}
 function move(step){const v=visible();if(!v.length)return;let p=v.indexOf(current);
  p=p<0?0:Math.max(0,Math.min(v.length-1,p+step));current=v[p];show(current);}
 list.addEventListener('keydown',e=>{const v=visible();
  if(e.key==='ArrowDown'){move(1);e.preventDefault();}
  else if(e.key==='ArrowUp'){move(-1);e.preventDefault();}
  else if(e.key==='Home'&&v.length){current=v[0];show(current);e.preventDefault();}
  else if(e.key==='End'&&v.length){current=v[v.length-1];show(current);e.preventDefault();}});
 list.addEventListener('click',e=>{const o=e.target.closest('[role=option]');
  if(o){current=options.indexOf(o);show(current);}});
 search.addEventListener('keydown',e=>{if(e.key==='ArrowDown'){list.focus();move(0);e.preventDefault();}});
 search.addEventListener('input',()=>{const q=search.value.trim().toLowerCase();let n=0;
  options.forEach(o=>{o.hidden=q!==''&&!o.textContent.toLowerCase().includes(q);if(!o.hidden)n++;});
  count.textContent=n?`${n} of ${options.length} units shown`:`no unit or planted feature matches "${search.value}"`;const v=visible();
  if(v.length&&!v.includes(current)){current=v[0];show(current);}});
 show(0);
})(document.currentScript.parentElement);
