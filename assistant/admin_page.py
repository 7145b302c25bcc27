"""The admin page at ``/admin``: one static HTML page that talks to the admin API with the token.

It lists every document's rule coverage (which money clauses are computable, which need a
person, which state no figure, with the reason) and uploads a policy file with its optional
rules sidecar. The token is typed on the page, kept in the tab's ``sessionStorage`` only, and
sent as ``Authorization: Bearer``; without it the API answers 401/403 and the page says so.
No template engine and no external asset: everything is inline, so it works offline.
"""

ADMIN_HTML = """<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>政策通 · 管理</title>
<style>
:root { color-scheme: light dark; --fg: #1f2328; --muted: #59636e; --bg: #fff; --card: #f6f8fa; --line: #d1d9e0;
        --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --accent: #0969da; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --bg: #0d1117; --card: #161b22; --line: #30363d;
        --ok: #3fb950; --warn: #d29922; --bad: #f85149; --accent: #4493f8; } }
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 0; background: var(--bg); color: var(--fg); }
main { max-width: 1080px; margin: 0 auto; padding: 16px; }
h1 { font-size: 20px; margin: 8px 0 4px; } h2 { font-size: 17px; margin: 20px 0 8px; }
.meta { color: var(--muted); font-size: 13px; }
.row { display: flex; gap: 8px; flex-wrap: wrap; align-items: center; margin: 8px 0; }
input, select, button { font: inherit; padding: 6px 10px; border: 1px solid var(--line); border-radius: 6px; background: var(--bg); color: var(--fg); }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: var(--card); color: var(--fg); border-color: var(--line); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px; margin: 10px 0; }
.msg { padding: 8px 10px; border-radius: 6px; margin: 8px 0; border: 1px solid var(--line); }
.msg.err { border-color: var(--bad); color: var(--bad); } .msg.ok { border-color: var(--ok); color: var(--ok); }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; vertical-align: top; border-top: 1px solid var(--line); padding: 6px 4px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; border: 1px solid currentColor; white-space: nowrap; }
.computable { color: var(--ok); } .review { color: var(--bad); } .no_figure, .shared_cap, .modifier { color: var(--warn); }
label.pick { position: relative; display: inline-block; padding: 6px 12px; border: 1px solid var(--line); border-radius: 6px;
             background: var(--bg); cursor: pointer; }
label.pick input { position: absolute; inset: 0; opacity: 0; cursor: pointer; width: 100%; }
details summary { cursor: pointer; } .text { color: var(--muted); font-size: 13px; }
</style></head>
<body><main>
<h1>政策通 · 管理</h1>
<div class="meta">管理令牌只保存在本标签页中（关闭即清除），以 <code>Authorization: Bearer</code> 发送。接口说明见 <a href="/docs">/docs</a>。</div>
<div class="row">
  <input id="token" type="password" placeholder="管理令牌（POLICY_ADMIN_TOKEN）" autocomplete="off" size="32" aria-label="管理令牌">
  <button id="load">查看规则覆盖</button>
  <button id="forget" class="secondary">清除令牌</button>
</div>
<div id="status" role="status"></div>

<h2>添加或更新政策文件</h2>
<form id="upload" class="card">
  <div class="row">政策文件（.txt .md .docx .pdf）：<label class="pick"><input type="file" name="file" required accept=".txt,.md,.docx,.pdf">选择文件</label>
    <span class="chosen meta" data-for="file">未选择文件</span></div>
  <div class="row">规则补充文件（可选，.rules.toml）：<label class="pick"><input type="file" name="rules" accept=".toml">选择文件</label>
    <span class="chosen meta" data-for="rules">未选择文件</span></div>
  <div class="row">
    <input name="doc_id" placeholder="文件编号（可选）" maxlength="64">
    <select name="status" aria-label="状态"><option value="">状态（自动识别）</option><option value="draft">征求意见稿</option>
      <option value="in_force">现行有效</option><option value="superseded">已废止/已被替代</option></select>
    <input name="effective_from" placeholder="施行日期，如 2026年1月1日" maxlength="20">
    <input name="effective_until" placeholder="有效期至（可选）" maxlength="20">
  </div>
  <button type="submit">上传并更新索引</button>
  <span class="meta">上传后逐条校验：文件能否解析、规则补充文件中的每个数字是否在对应条款原文中。</span>
</form>

<h2>金额规则覆盖</h2>
<div class="meta">每个含金额或奖补的条款：可计算（已读出完整规则）、需人工核对（有数字未能读懂，不作测算）、未写明金额（以实施细则为准）、本条共用上限或计算规则（已计入各项）。</div>
<div id="docs"></div>
</main>
<script>
const $ = (s) => document.querySelector(s);
const esc = (t) => String(t ?? "").replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
const token = () => $("#token").value.trim();
$("#token").value = sessionStorage.getItem("policy-admin-token") || "";
function say(text, kind) { $("#status").innerHTML = text ? `<div class="msg ${kind || ""}">${esc(text)}</div>` : ""; }
async function call(url, options) {
  const headers = Object.assign({"Authorization": "Bearer " + token()}, (options || {}).headers || {});
  const r = await fetch(url, Object.assign({}, options || {}, {headers}));
  let body = {};
  try { body = await r.json(); } catch (e) { body = {error: "服务器返回了无法识别的内容（" + r.status + "）"}; }
  if (!r.ok) throw new Error(body.error || ("请求失败（" + r.status + "）"));
  return body;
}
function renderDoc(d) {
  const rows = d.clauses.map((c) => `<tr><td><b>${esc(c.clause_id)}</b></td>
    <td><span class="badge ${esc(c.coverage)}">${esc(c.label)}</span></td>
    <td>${c.rules.map((r) => `<div>${esc(r.name)}：${esc(r.standard)}${r.source === "sidecar" ? "（补充文件）" : ""}</div>`).join("")}
        ${c.reason ? `<div class="text">${esc(c.reason)}</div>` : ""}
        <details><summary class="meta">条款原文</summary><div class="text">${esc(c.text)}</div></details></td></tr>`).join("");
  return `<div class="card" data-doc="${esc(d.id)}"><b>${esc(d.title)}</b> <span class="meta">${esc(d.status_label)} · 编号 ${esc(d.id)}</span>
    <div class="summary">${esc(d.summary)}</div>
    <details ${d.counts.review ? "open" : ""}><summary>逐条查看（${d.clauses.length} 条）</summary>
    <table><tr><th>条款</th><th>覆盖</th><th>规则与原因</th></tr>${rows}</table></details></div>`;
}
async function load() {
  if (!token()) { say("请先输入管理令牌。", "err"); return; }
  sessionStorage.setItem("policy-admin-token", token());
  say("正在读取……");
  try {
    const data = await call("/api/admin/coverage");
    $("#docs").innerHTML = data.documents.map(renderDoc).join("");
    say(`已读取 ${data.documents.length} 份政策文件的规则覆盖。`, "ok");
  } catch (e) { $("#docs").innerHTML = ""; say(e.message, "err"); }
}
$("#load").addEventListener("click", load);
$("#token").addEventListener("keydown", (e) => { if (e.key === "Enter") load(); });
$("#forget").addEventListener("click", () => { sessionStorage.removeItem("policy-admin-token"); $("#token").value = ""; $("#docs").innerHTML = ""; say("已清除令牌。"); });
$("#upload").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!token()) { say("请先输入管理令牌。", "err"); return; }
  const form = new FormData(e.target);
  for (const [k, v] of [...form.entries()]) { if (v === "" || (v instanceof File && !v.name)) form.delete(k); }
  say("正在上传、校验并更新索引……");
  try {
    const r = await call("/api/admin/policies", {method: "POST", body: form});
    say(`${r.message}；金额规则：${r.coverage}`, "ok");
    await load();
  } catch (err) { say(err.message, "err"); }
});
document.querySelectorAll("label.pick input").forEach((input) => input.addEventListener("change", () => {
  const shown = document.querySelector(`.chosen[data-for="${input.name}"]`);
  shown.textContent = input.files.length ? input.files[0].name : "未选择文件";
}));
if (token()) load();
</script>
</body></html>
"""
