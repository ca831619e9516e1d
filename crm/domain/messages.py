"""Every user-facing sentence of the work-order rules, in Chinese, in one place.

Kept apart from the rules so wording can be reviewed (and later translated) without touching
logic. Placeholders use ``str.format`` names.
"""

from __future__ import annotations

# What the agent tells the caller.
HELP_WITHOUT_CONTACT = "您未留下联系电话，本次来电只能按意见建议登记，无法跟踪回复，敬请谅解。"
NOT_FORWARDABLE = "缺少{missing}，热线无法转办。您可拨打{body}电话{number}反映。"
NOT_FORWARDABLE_NO_NUMBER = "缺少{missing}，热线无法转办，请向{body}反映。"
SPECIAL_LINE = "您反映的问题请拨打{name}专线{number}。"
GENERAL_INFO = "此类社会信息请拨打114查询。"
SUGGESTION_PASSED_ON = "您的意见建议我们将转交相关单位。"
PRAISE_PASSED_ON = "感谢您的表扬，我们将转达给相关单位。"
INVALID_OTHER = "无明确诉求，按无效（其他）登记。"
REPLY_DEADLINE = "我们将在{due}前答复您。"
# The deadline crosses into a year whose holiday schedule is not yet published: counted by the
# law alone, it may move when the State Council's notice comes (crm/domain/workcalendar.py).
REPLY_DEADLINE_PROVISIONAL = "我们预计在{due}前答复您，如遇节假日安排调整，以实际安排为准。"
# The wallboard, from 1 November, while next year's schedule is missing.
NEXT_YEAR_SCHEDULE_MISSING = (
    "{year}年节假日安排尚未录入：跨入{year}年的工单时限暂按法定节假日推算（预计）。"
    "国务院通知发布后请在系统管理「节假日安排」中录入。"
)
SMS_NOT_FROM_HOTLINE = "该短信并非12345热线发送，请联系{body}，电话{number}。"

FRAUD_WARNING = "请勿向他人透露个人信息和银行账户，如已受骗请立即拨打110向公安机关报案。"
COMFORT_ONLY = "您反映的问题已通过各渠道处理，我们理解您的心情，请保重。"

# Notes recorded on orders.
CHASE_NOTE = "催单：定单{number}"
REDISPATCH_REASON = "值班长重新派单，原因：{reason}"
INVALID_NON_MEMBER = "所涉单位“{unit}”既非热线成员单位也非政府部门，按无效（其他）登记。"
INVALID_NON_MEMBER_GOVERNMENT = "所涉单位“{unit}”为非成员政府部门，登记后归档。"
EMERGENCY_DISPATCHED = "紧急求助未能转110，按紧急工单下派，已报热线负责人。"
ABNORMAL_FRAUD = "异常来电：疑似诈骗，已提醒来电人并引导报警。"
ABNORMAL_HARASSMENT = "异常来电：骚扰电话，已记录来电信息。"
BLOCKLISTED_CALL = "骚扰号码名单内来电：已播放提示、录音并挂断（来电应急预案）。"
ALL_CHANNELS_TRIED = "来电人已穷尽各种渠道，仅做安抚。"
EMERGENCY_ARCHIVED = "已转110紧急处置，按咨询类工单记录并办结归档，已报热线负责人。"
REDISPATCH_OF = "重派：原定单{number}（{reason}），请特别跟进。"
REDISPATCH_REASON_OVERDUE = "原定单已超时"
REDISPATCH_REASON_UNHAPPY = "来电人对处理结果不满意"
# A repeat repair (docs/hotline-rules.md, "Figures a supervisor is judged on").
REPEAT_REPAIR_NOTE = "重复报修：原定单{prior}修复办结后{days}天内同一地点同类再次报修，须领导回访。"
LEADER_VISIT_ALERT = (
    "重复报修：定单{number}（{category}，{address}）在原定单{prior}修复办结后{days}天内再次报修，"
    "请安排领导回访。"
)
REPORT_RECIPIENT = "举报件只能转交纪检监察或司法部门，“{unit}”不是此类单位。"

# The three notes the shift leader's help-request work order carries
# (docs/hotline-rules.md, Help request 求助).
DISPATCH_NOTES: tuple[str, str, str] = (
    "请及时与来电人联系。",
    "请于22小时内反馈办理情况，以便热线答复来电人。",
    "信息点负责人跟进办理结果。",
)
EMERGENCY_DISPATCH_NOTES: tuple[str, ...] = (
    "请立即与来电人联系。",
    "请于15分钟内反馈。",
    "值班长立即报告热线负责人，并拨打应急中心与热线的专线。",
)

EMERGENCY_LOCATION_REQUIRED = "紧急求助须登记事发地点（location）。"

MISSING_TARGET = "投诉（举报）对象"
MISSING_CONTACT = "联系电话"
MISSING_CONTENT = "具体内容"
