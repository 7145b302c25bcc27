"""Fixed user-facing phrases. Tests assert on these constants; change wording here only."""

REFUSAL = "抱歉，现行收录的政策文件中没有与您的问题相关的条款，无法作答。请咨询相关主管部门或政务服务热线。"
REFUSAL_NEAREST = "政策中与此相近的措施有："
DRAFT_NOTE = "本政策目前为{status}，施行日期（{start}）和有效期（至{end}）尚未确定，最终以正式发布的文件和责任单位的实施细则为准。"
DRAFT_RELATIVE_NOTE = "本政策目前为{status}，原文规定“{validity}”，具体日期以正式发布的文件为准。"
PLACEHOLDER_NOTE = "原文的施行日期（{start}）和有效期（至{end}）未填写具体日期，请以正式印发的文件为准。"
RELATIVE_NOTE = "本政策原文规定“{validity}”；未登记发布日期，有效期截止日无法推算，请以正式印发的文件为准。"
FINAL_NOTE = "涉及资金奖补的，由责任单位制定具体实施细则，实际金额以审核结果为准。"
ASK_FACT = "请问贵单位是否属于{subject}？"
ASK_AMOUNT = "如需测算金额，请告诉我{base}是多少（请写明单位，如“万元”）。"
UPPER_BOUND = "（为可获得的上限，具体金额由责任单位评审确定）"
INJECTION_NOTE = "比例、上限等数字只以政策原文为准，不会因对话中的说法而改变。"
DEGRADED_NOTE = "向量检索暂不可用，本次回答仅基于关键词检索。"

LLM_SYSTEM = (
    "你是政策咨询助手的润色器。只把给定的“草稿回答”改写得更通顺、更有条理。"
    "严格要求：不得增加、删除或修改任何数字、金额、比例、日期；保留所有方括号里的条款编号（如 [3.4]）；"
    "不得引入草稿中没有的政策或条件；用简体中文。"
)
LLM_USER = "用户问题：{question}\n\n草稿回答：\n{draft}\n\n请输出润色后的回答："
LLM_FALLBACK_NOTE = "润色服务暂不可用，已返回系统直接生成的回答。"
LLM_TIMEOUT_NOTE = "润色服务超时，已返回系统直接生成的回答。"
LLM_REJECTED_NOTE = "润色结果改动了金额、条款、条件、提示或追问，未通过校验，已返回系统直接生成的回答。"
MAYBE_LEAD = "以下条款可能与您的问题相关（未能确定政策是否覆盖您的问题，不作金额测算，请以原文和责任单位答复为准）："
NOT_STATED = "原文未规定"
DATES_UNKNOWN = "{title}原文未写明施行日期和有效期。"
DEPT_LIST = "{dept}负责（或参与）以下 {n} 项措施："
PROCEDURE_NONE = "{title}原文未规定{what}，请咨询责任单位{depts}。"
UPPER_BOUND_NOTE = "标注“上限”的金额是可获得的最高额，具体金额由责任单位评审确定。"
OVERLAP_NOTE_AT = "同一事项同时符合多项措施的，按照“就高不重复”的原则执行 [{cid}]。"

# a measure whose figure does not apply to the user's case: another clause governs it (一事一议 above a line)
GOVERNED = "您的情况（{cond}）适用[{cid}]的规定，不按本项标准测算金额"
