"""Seed articles for the help centre (English and Simplified Chinese), loaded by `manage.py seed_help`.

Written from the product spec and the source help pages (seeds/): every number here is the desk's promise.
Edit the live text in the admin; running the command again restores these versions of the seeded slugs.
"""

CATEGORIES = [
    {"slug": "account", "order": 1, "name": "Account and contacting us", "names": {"zh-hans": "账户与联系我们"}},
    {"slug": "verification", "order": 2, "name": "Verification (KYC)", "names": {"zh-hans": "身份验证"}},
    {"slug": "trading", "order": 3, "name": "Trading and platform", "names": {"zh-hans": "交易与平台"}},
    {"slug": "funds", "order": 4, "name": "Deposits and withdrawals", "names": {"zh-hans": "存款与取款"}},
    {"slug": "security", "order": 5, "name": "Security", "names": {"zh-hans": "账户安全"}},
]

ARTICLES = [
    # -- account ---------------------------------------------------------------------------------
    {
        "slug": "support-hours", "category": "account", "related": ["contact-channels", "which-channel"],
        "translations": {
            "en": {
                "title": "Support hours and time zones",
                "keywords": "opening hours open closed weekend sunday saturday holiday time zone when available schedule night",
                "body": """
Our support team works to a published timetable. The reference time zone is **Asia/Shanghai (UTC+8)**; the
contact page shows the same hours converted to your own time zone.

| Day | Hours (Shanghai time) |
|---|---|
| Monday | 06:00 – 22:00 |
| Tuesday – Friday | 24 hours |
| Saturday | 00:00 – 22:00 |
| Sunday | closed |

**Outside these hours** you can still write an e-mail, open a ticket or leave a chat request. They are
answered in order when support opens again, and our response-time promises only count the hours we are open.

Public holidays are announced on the contact page. At peak times we show the expected waiting time before you
start a chat.
""",
            },
            "zh-hans": {
                "title": "客服工作时间与时区",
                "keywords": "几点 上班 下班 营业时间 周末 周日 周六 节假日 时区 什么时候 在线 晚上 客服时间",
                "body": """
我们的客服按照公开的时间表工作,参考时区为 **亚洲/上海(UTC+8,北京时间)**。“联系我们”页面会把这些时间换算成您所在的时区显示。

| 日期 | 工作时间(北京时间) |
|---|---|
| 周一 | 06:00 – 22:00 |
| 周二至周五 | 24 小时 |
| 周六 | 00:00 – 22:00 |
| 周日 | 休息 |

**非工作时间**您仍然可以发送邮件、提交工单或留下在线聊天请求,客服上班后会按顺序处理。我们承诺的响应时间只计算工作时间。

法定节假日安排会在“联系我们”页面公布。高峰时段,开始聊天前会显示预计等待时间。
""",
            },
        },
    },
    {
        "slug": "contact-channels", "category": "account", "related": ["which-channel", "support-hours", "callbacks"],
        "translations": {
            "en": {
                "title": "How to contact us and how fast we answer",
                "keywords": "contact channels response time reply speed email chat ticket phone call wait how long answer",
                "body": """
You can reach us in four ways from your personal area:

| Channel | First response | Best for |
|---|---|---|
| Live chat | connected to an agent within 2 minutes, replies in 2–5 minutes | urgent trading problems, account settings, quick questions |
| E-mail | within 24 hours on working days | verification, withdrawal delays, account restrictions, detailed fault reports |
| Ticket (web form) | within 24 hours | anything you want to follow step by step: progress, history and replies stay visible |
| Phone call-back | the call happens inside the slot you choose | when you prefer to talk; there is no public phone line |

Document reviews are answered within 24 business hours, and complaints are acknowledged within 24 hours.

Write from the e-mail address registered on your account so we can identify you. Please keep one ticket per
problem: a second ticket about the same issue does not make it faster.
""",
            },
            "zh-hans": {
                "title": "联系客服的方式和响应时间",
                "keywords": "联系方式 客服 多久回复 回复速度 邮件 在线聊天 工单 电话 等多久 人工客服 怎么联系",
                "body": """
您可以在个人区通过以下四种方式联系我们:

| 渠道 | 首次响应 | 适合的问题 |
|---|---|---|
| 在线聊天 | 2 分钟内接通客服,2–5 分钟内回复 | 紧急交易问题、账户设置、简单咨询 |
| 电子邮件 | 工作日 24 小时内回复 | 身份验证、提现延迟、账户限制、详细的故障报告 |
| 工单(网页表单) | 24 小时内 | 需要跟进进度的问题:处理进度、历史和回复都可随时查看 |
| 电话回拨 | 在您选择的时间段内致电 | 希望电话沟通时使用;我们没有公开的客服热线 |

文件审核在 24 个工作小时内完成,投诉在 24 小时内确认受理。

请使用账户注册邮箱发送邮件,方便我们核实身份。同一个问题请只提交一个工单,重复提交并不会加快处理速度。
""",
            },
        },
    },
    {
        "slug": "which-channel", "category": "account", "related": ["contact-channels", "what-to-include"],
        "translations": {
            "en": {
                "title": "Which channel should I use for my question?",
                "keywords": "best channel fastest way urgent recommend where ask right channel",
                "body": """
Choosing the right channel gets you the answer sooner:

- **Urgent trading problem** (an order you cannot close, a position at risk): **live chat**.
- **Account verification and document review**: **upload the documents** in Verification, or **e-mail** us.
- **Deposit or withdrawal status**: **e-mail** or book a **call-back**.
- **Platform technical fault**: start in **chat**, then send details and screenshots by **e-mail**.
- **Account settings** (enable a feature, change a setting): **live chat**.
- **Not satisfied with an answer**: open a **complaint** (escalation).

Before you write, try the self-help articles in this help centre: many login, deposit and platform problems are
solved in a few minutes.
""",
            },
            "zh-hans": {
                "title": "我的问题应该用哪个渠道咨询?",
                "keywords": "哪个渠道 最快 紧急 推荐 找谁 去哪里问 选择渠道",
                "body": """
选对渠道,能更快得到答复:

- **紧急交易问题**(订单无法平仓、仓位有风险):使用 **在线聊天**。
- **账户验证与文件审核**:在“身份验证”中 **上传文件**,或发送 **邮件**。
- **存款或提现状态查询**:发送 **邮件** 或预约 **电话回拨**。
- **交易平台技术故障**:先通过 **在线聊天** 咨询,再用 **邮件** 补充详情和截图。
- **账户设置**(开通功能、修改设置):使用 **在线聊天**。
- **对处理结果不满意**:提交 **投诉**(升级处理)。

联系客服前,可以先看看帮助中心的自助文章:很多登录、存款和平台问题几分钟就能解决。
""",
            },
        },
    },
    {
        "slug": "what-to-include", "category": "account", "related": ["which-channel", "deposit-not-arrived"],
        "translations": {
            "en": {
                "title": "What to include in your request so we can help at once",
                "keywords": "information details provide account number uid screenshot transaction id hash order number identify identity",
                "body": """
Give us these details in the first message and we will not need to ask again:

- your **trading account number or UID** (not your e-mail address);
- your **registered phone number**;
- a **screenshot of the error**;
- for deposits and withdrawals: the **transaction ID or hash** and the **exact amount**;
- for trading issues: the **pair or instrument and the order number**;
- **when it happened** and **the steps you already tried**.

We confirm your identity only with your account number and your registered contact details. We never ask for
your password or codes (see *Never share these with anyone*).
""",
            },
            "zh-hans": {
                "title": "提交问题时需要提供哪些信息",
                "keywords": "需要提供 资料 信息 账号 UID 截图 交易ID 哈希 订单号 身份核实",
                "body": """
第一次联系时就提供以下信息,客服无需再次询问:

- 您的 **交易账号或 UID**(不是邮箱地址);
- **注册手机号**;
- **错误提示的截图**;
- 存款和提现问题:**交易 ID 或哈希值(TXID)** 以及 **准确金额**;
- 交易问题:**交易对或品种以及订单号**;
- **问题发生的时间** 和 **您已经尝试过的步骤**。

我们只通过账号和注册联系方式核实您的身份,绝不会索要密码或验证码(参见《这些信息绝不要告诉任何人》)。
""",
            },
        },
    },
    {
        "slug": "login-problems", "category": "account", "related": ["never-share-secrets", "platform-fault"],
        "translations": {
            "en": {
                "title": "I can't log in: what to try first",
                "keywords": "login log in sign in cannot access password wrong locked out forgot password reset account locked",
                "body": """
Most login problems are fixed in a few minutes:

1. Check that **Caps Lock** is off and the keyboard language is right; type the password instead of pasting it.
2. **Clear your browser cache and cookies**, or open the site in **another browser** or a private window.
3. Make sure you use the **e-mail address you registered with**, and check your inbox (and spam folder) for
   our messages.
4. Forgot your password? Use **Forgot password** on the login page: the reset link is sent to your registered
   e-mail address.
5. After several wrong attempts the account is **locked for a short time** to protect it. Wait and try again.

Still stuck? Start a **live chat** and give your account number. Never send your password or a 2FA code to
anyone, including us.
""",
            },
            "zh-hans": {
                "title": "无法登录怎么办",
                "keywords": "登录不了 登不上 登陆 无法登录 密码错误 忘记密码 重置密码 账户锁定 进不去",
                "body": """
大多数登录问题几分钟内就能解决:

1. 确认 **大写锁定键(Caps Lock)** 已关闭、输入法正确;请手动输入密码,不要粘贴。
2. **清除浏览器缓存和 Cookie**,或换用 **其他浏览器**、无痕窗口打开网站。
3. 确认使用的是 **注册时的邮箱地址**,并检查收件箱(包括垃圾邮件)中我们发送的邮件。
4. 忘记密码?在登录页点击 **“忘记密码”**,重置链接会发送到您的注册邮箱。
5. 多次输错密码后,为保护账户安全,账户会被 **暂时锁定**,请稍后再试。

仍然无法登录?请通过 **在线聊天** 联系客服并提供账号。请勿把密码或二次验证码发给任何人,包括我们。
""",
            },
        },
    },
    {
        "slug": "callbacks", "category": "account", "related": ["contact-channels", "support-hours"],
        "translations": {
            "en": {
                "title": "Booking a phone call-back",
                "keywords": "call back callback phone call telephone talk speak agent book slot reschedule cancel number",
                "body": """
We have no public phone line, but an agent can call you at a time you choose:

1. Log in and open **My call-backs → Book a call-back**.
2. Choose a **slot** (shown in your time zone, only inside support hours), your **language**, your **phone
   number** and a **short summary** of the problem.
3. You receive a confirmation with a calendar invitation and a reminder before the call.

The call happens **inside the slot you chose**. You can **reschedule or cancel** from the same page. Our agents
will never ask for your password, codes or card number during a call.
""",
            },
            "zh-hans": {
                "title": "预约电话回拨",
                "keywords": "回电 回拨 打电话 电话客服 预约 时间段 改期 取消 电话号码 通话",
                "body": """
我们没有公开的客服电话,但客服可以在您选择的时间给您回电:

1. 登录后打开 **“我的回拨” → “预约回拨”**。
2. 选择 **时间段**(按您的时区显示,仅限客服工作时间)、**语言**、**电话号码**,并简要 **描述问题**。
3. 您会收到带日历邀请的确认通知,通话前还会收到提醒。

客服会在 **您选择的时间段内** 来电。您可以在同一页面 **改期或取消**。通话中客服绝不会索要您的密码、验证码或银行卡号。
""",
            },
        },
    },
    {
        "slug": "chat-transcripts", "category": "account", "related": ["contact-channels"],
        "translations": {
            "en": {
                "title": "Keeping a transcript of your chat",
                "keywords": "chat history transcript copy save download email conversation record log",
                "body": """
Every chat is kept in your personal area under **My chats**. Open a conversation to:

- **download the transcript** as a text file, or
- **e-mail the transcript** to your registered address.

Transcripts contain the messages you and the agent exchanged. If you pasted a password, code or card number by
mistake, it is hidden in the stored conversation.
""",
            },
            "zh-hans": {
                "title": "保存在线聊天记录",
                "keywords": "聊天记录 对话记录 下载 保存 导出 邮件发送 历史消息",
                "body": """
每一次在线聊天都保存在个人区的 **“我的聊天”** 中。打开某个对话即可:

- 以文本文件 **下载聊天记录**,或
- 把聊天记录 **发送到您的注册邮箱**。

聊天记录包含您和客服之间的全部消息。如果您误发了密码、验证码或银行卡号,这些内容在保存的记录中会被隐藏。
""",
            },
        },
    },
    {
        "slug": "complaints-escalation", "category": "account", "related": ["contact-channels", "vip-support"],
        "translations": {
            "en": {
                "title": "Not satisfied? How to escalate or make a complaint",
                "keywords": "complaint escalate escalation unhappy not satisfied manager supervisor senior formal dispute bad service",
                "body": """
If an answer did not solve your problem, you can escalate it:

1. Open **Complaints → New complaint** in your personal area.
2. Choose the ticket, chat, call-back or verification case it is about and explain what went wrong and what
   you expect.
3. A supervisor **acknowledges your complaint within 24 hours** and follows it to a written resolution.

Senior support and management see every complaint. You can follow its status and read the resolution on the
complaint page.
""",
            },
            "zh-hans": {
                "title": "对处理结果不满意?如何升级或投诉",
                "keywords": "投诉 升级 不满意 主管 经理 上级 服务差 申诉 维权",
                "body": """
如果答复没有解决您的问题,可以升级处理:

1. 在个人区打开 **“投诉” → “新建投诉”**。
2. 选择相关的工单、聊天、回拨或身份验证案例,说明哪里出了问题以及您的期望。
3. 主管会在 **24 小时内确认受理**,并跟进直至给出书面处理结果。

高级客服和管理层会查看每一条投诉。您可以在投诉页面查看处理状态和最终结果。
""",
            },
        },
    },
    {
        "slug": "vip-support", "category": "account", "related": ["contact-channels", "complaints-escalation"],
        "translations": {
            "en": {
                "title": "VIP support and your account manager",
                "keywords": "vip priority account manager premium faster personal manager",
                "body": """
VIP customers get:

- **priority in every queue** (chat, tickets, call-backs and document review);
- **tighter response targets** than the standard ones;
- a **named account manager** who knows your account.

Your account manager contacts you only through the official channels listed on our **/check/** page. Check any
contact who says they are your manager there before you reply.
""",
            },
            "zh-hans": {
                "title": "VIP 客户服务与专属客户经理",
                "keywords": "VIP 优先 专属客服 客户经理 贵宾 更快",
                "body": """
VIP 客户享有:

- 在所有队列(在线聊天、工单、电话回拨、文件审核)中 **优先处理**;
- 比标准更 **严格的响应时限**;
- 熟悉您账户情况的 **专属客户经理**。

客户经理只会通过 **/check/** 页面列出的官方渠道联系您。任何自称是您客户经理的人,回复前请先在该页面核实。
""",
            },
        },
    },
    {
        "slug": "support-languages", "category": "account", "related": ["contact-channels"],
        "translations": {
            "en": {
                "title": "Getting support in your language",
                "keywords": "language chinese english russian vietnamese translate speak",
                "body": """
We answer in **Chinese (simplified and traditional) and English**, and also in Russian, Vietnamese, Turkish,
Portuguese, Spanish, Indonesian, Japanese and Korean.

Choose your language in the menu at the top of the page or in your **profile**. Your chats, tickets and
call-backs are routed to an agent who speaks it whenever one is available, and our e-mails to you use it too.
""",
            },
            "zh-hans": {
                "title": "使用您的语言获得支持",
                "keywords": "语言 中文 英文 繁体 切换语言 翻译",
                "body": """
我们提供 **简体中文、繁体中文和英文** 服务,也支持俄语、越南语、土耳其语、葡萄牙语、西班牙语、印尼语、日语和韩语。

在页面顶部的菜单或 **个人资料** 中选择语言。您的聊天、工单和电话回拨会优先分配给会说该语言的客服,我们发给您的邮件也会使用该语言。
""",
            },
        },
    },
    # -- verification ----------------------------------------------------------------------------
    {
        "slug": "documents-required", "category": "verification", "related": ["proof-of-address", "document-rejected", "verification-time"],
        "translations": {
            "en": {
                "title": "Which documents do I need to verify my account?",
                "keywords": "kyc verify verification identity documents id passport required upload identification",
                "body": """
To verify your account, upload three kinds of document in **Verification**:

1. **Proof of identity**: a government-issued ID card or your passport.
2. **Proof of residence** issued **within the last 3 months**: a utility bill, bank statement or tenancy
   agreement showing your name and address.
3. **Proof of payment method**: a photo of your card (you may cover the middle digits) or a statement of the
   account you deposit from.

Every document must be **sharp**, **complete with all four corners visible**, and **match the details you
registered with**. Photos or PDF files are accepted.
""",
            },
            "zh-hans": {
                "title": "账户验证需要哪些文件?",
                "keywords": "KYC 实名认证 身份认证 身份验证 证件 身份证 护照 需要什么材料 上传",
                "body": """
验证账户时,请在 **“身份验证”** 中上传三类文件:

1. **身份证明**:政府签发的身份证或护照。
2. **居住证明**,须为 **最近 3 个月内** 开具:水电煤账单、银行对账单或租房合同,上面要有您的姓名和地址。
3. **支付方式证明**:银行卡照片(中间数字可以遮住)或您用于入金的账户对账单。

所有文件必须 **清晰**、**完整(四个角都在画面内)**,并且 **与注册信息一致**。支持照片或 PDF 文件。
""",
            },
        },
    },
    {
        "slug": "proof-of-address", "category": "verification", "related": ["documents-required", "document-rejected"],
        "translations": {
            "en": {
                "title": "Proof of address: what is accepted (issued within 3 months)",
                "keywords": "proof of address residence utility bill bank statement tenancy lease old date three months accepted",
                "body": """
A proof of address must show **your full name**, **your residential address** and an **issue date within the
last 3 months**.

Accepted: a utility bill (electricity, water, gas, internet or landline), a bank or card statement, a tenancy
agreement.

Not accepted: documents older than 3 months, documents in someone else's name, screenshots that cut off the
name, address or date, and mobile-phone bills where the address is missing.

If your only documents are older, download a recent statement from your online banking: it counts when it shows
your name, address and date.
""",
            },
            "zh-hans": {
                "title": "地址证明:哪些文件可以用(3 个月内)",
                "keywords": "地址证明 居住证明 住址证明 水电费账单 银行对账单 租房合同 过期 三个月",
                "body": """
地址证明必须显示 **您的全名**、**居住地址**,且 **开具日期在最近 3 个月内**。

可以接受:水电煤气账单、宽带或固话账单、银行或信用卡对账单、租房合同。

不能接受:超过 3 个月的文件、他人名下的文件、截掉姓名/地址/日期的截图,以及没有地址的手机话费账单。

如果手上只有较早的文件,可以从网上银行下载最新的对账单:只要显示姓名、地址和日期即可使用。
""",
            },
        },
    },
    {
        "slug": "document-rejected", "category": "verification", "related": ["documents-required", "proof-of-address", "payment-method-proof"],
        "translations": {
            "en": {
                "title": "My document was rejected: reasons and how to fix each",
                "keywords": "rejected rejection declined failed verification reason blurry incomplete corners cut too old third party mismatch re-upload",
                "body": """
The reason is shown in plain words on the Verification page. Fix it and **upload the document again**:

| Reason | How to fix it |
|---|---|
| **Blurry** | Photograph in daylight, hold the phone steady, no flash glare; check the text is readable before sending. |
| **Incomplete / corners cut** | Put the whole document on a dark surface with **all four corners** visible; upload every page that is asked for. |
| **Address proof too old** | Use a document issued **within the last 3 months**. |
| **Third-party payment method** | The card or account must be **your own**, in your name. Payments from someone else's card are not accepted. |
| **Details do not match** | The name, date of birth and address must match your profile. Correct your profile first, or upload a document with the right details. |

A re-uploaded document joins the review queue again and is reviewed within 24 business hours.
""",
            },
            "zh-hans": {
                "title": "文件被拒绝了:原因及解决方法",
                "keywords": "审核失败 被拒 驳回 没通过 不通过 模糊 不完整 缺角 过期 第三方 信息不一致 重新上传",
                "body": """
被拒原因会以通俗的文字显示在“身份验证”页面。按下表处理后 **重新上传文件** 即可:

| 原因 | 解决方法 |
|---|---|
| **照片模糊** | 在光线充足处拍摄,拿稳手机,避免闪光灯反光;发送前确认文字清晰可读。 |
| **不完整/缺角** | 把整份文件放在深色背景上,**四个角都要拍进去**;需要的每一页都要上传。 |
| **地址证明过期** | 请使用 **最近 3 个月内** 开具的文件。 |
| **第三方支付方式** | 银行卡或账户必须是 **您本人名下** 的,不接受他人银行卡付款。 |
| **信息不一致** | 姓名、出生日期和地址必须与个人资料一致。请先更正资料,或上传信息正确的文件。 |

重新上传的文件会重新进入审核队列,在 24 个工作小时内完成审核。
""",
            },
        },
    },
    {
        "slug": "verification-time", "category": "verification", "related": ["documents-required", "document-rejected"],
        "translations": {
            "en": {
                "title": "How long does document verification take?",
                "keywords": "how long verification review time pending waiting status kyc approved",
                "body": """
We review documents **within 24 business hours** of upload. Business hours are our support hours (see *Support
hours and time zones*), so a document uploaded on Sunday is reviewed after we open on Monday.

You see the status of each document on the **Verification** page and get a notification when it is approved or
rejected. A rejected document shows the reason; fix it and upload again.

Please do not open a ticket about a document that is still inside the 24-hour review time: it is already in the
queue.
""",
            },
            "zh-hans": {
                "title": "身份验证审核需要多长时间?",
                "keywords": "审核多久 审核时间 认证多久 一直审核中 等待审核 什么时候通过",
                "body": """
我们在上传后 **24 个工作小时内** 完成文件审核。工作时间即客服工作时间(参见《客服工作时间与时区》),所以周日上传的文件会在周一上班后审核。

您可以在 **“身份验证”** 页面查看每份文件的状态,审核通过或被拒时会收到通知。被拒的文件会显示原因,修正后重新上传即可。

文件仍在 24 小时审核期内时,请不要另外提交工单:它已经在审核队列中了。
""",
            },
        },
    },
    {
        "slug": "payment-method-proof", "category": "verification", "related": ["document-rejected", "deposit-withdrawal-times"],
        "translations": {
            "en": {
                "title": "Verifying your payment method (your own card or account)",
                "keywords": "payment method card photo bank card statement third party own name verify card cover digits",
                "body": """
We verify the card or account you deposit from so that withdrawals go back to you.

- Upload a **photo of the front of your card**: your name and the first 6 and last 4 digits must be visible;
  **cover the middle digits** and the CVV on the back. Never type a full card number into a chat or ticket.
- Or upload a **statement** of the bank or e-wallet account showing your name and the deposit.

The payment method must be **in your own name**. Deposits from a relative's or friend's card are rejected
(*third-party payment method*) and may be returned to the sender.
""",
            },
            "zh-hans": {
                "title": "验证支付方式(必须是本人银行卡或账户)",
                "keywords": "支付方式验证 银行卡照片 卡号 遮挡 本人 第三方 他人银行卡 对账单",
                "body": """
我们会验证您用于存款的银行卡或账户,确保提现资金退回到您本人名下。

- 上传 **银行卡正面照片**:须能看到您的姓名以及卡号前 6 位和后 4 位;请 **遮住中间的数字** 以及背面的 CVV。切勿在聊天或工单中输入完整卡号。
- 或上传该银行账户/电子钱包的 **对账单**,显示您的姓名和这笔存款。

支付方式必须是 **您本人名下** 的。使用亲友银行卡的存款会被拒绝(“第三方支付方式”),资金可能退回给付款人。
""",
            },
        },
    },
    # -- trading ---------------------------------------------------------------------------------
    {
        "slug": "platform-fault", "category": "trading", "related": ["urgent-trading-problem", "login-problems"],
        "translations": {
            "en": {
                "title": "The platform is not working: what to try first",
                "keywords": "platform error not loading crash freeze frozen slow chart app bug technical problem website down connection",
                "body": """
Before you contact us, try these steps (they fix most faults):

1. **Refresh** the page or restart the app.
2. Check your **network connection**; switch between Wi-Fi and mobile data.
3. Try the **mobile app** if the website fails, or the website if the app fails.
4. **Clear cookies and cache** in your browser, or try another browser.

Still broken? Start a **live chat** and then send by **e-mail**: a **screenshot of the error**, the **time it
happened**, your **device and browser or app version**, and the steps you tried. If an open position is affected,
say so first: it is treated as urgent.
""",
            },
            "zh-hans": {
                "title": "交易平台无法使用怎么办",
                "keywords": "平台故障 打不开 卡住 卡顿 闪退 崩溃 加载不出来 报错 网页打不开 APP 连接失败 技术问题",
                "body": """
联系客服前,请先尝试以下步骤(可以解决大部分故障):

1. **刷新** 页面或重启 App。
2. 检查 **网络连接**,在 Wi-Fi 和移动数据之间切换试试。
3. 网页版有问题就试试 **手机 App**,反之亦然。
4. **清除浏览器 Cookie 和缓存**,或换一个浏览器。

仍然无法使用?请先通过 **在线聊天** 联系我们,再用 **邮件** 发送:**错误截图**、**发生时间**、**设备及浏览器或 App 版本**,以及已经尝试过的步骤。如果影响到持仓,请首先说明,我们会按紧急问题处理。
""",
            },
        },
    },
    {
        "slug": "urgent-trading-problem", "category": "trading", "related": ["platform-fault", "trade-records"],
        "translations": {
            "en": {
                "title": "Urgent trading problem: an order or position needs help now",
                "keywords": "urgent order position close stop loss stuck cannot close open trade margin emergency pending order",
                "body": """
For a problem with an open position or an order, use **live chat**: you are connected to an agent within 2
minutes.

Give at once: your **account number**, the **pair or instrument**, the **order number**, what you tried to do
and **the exact time**, plus a screenshot.

Agents can check what happened and help you use the platform, but they **cannot place, change or cancel trades
for you** and **give no investment advice**.
""",
            },
            "zh-hans": {
                "title": "紧急交易问题:订单或持仓需要立即处理",
                "keywords": "紧急 订单 持仓 平仓 止损 平不了 下不了单 挂单 爆仓 保证金",
                "body": """
持仓或订单出现问题时,请使用 **在线聊天**:2 分钟内即可接通客服。

请第一时间提供:**交易账号**、**交易对或品种**、**订单号**、您当时的操作和 **准确时间**,并附上截图。

客服可以帮您查明情况、指导平台操作,但 **不能代您下单、修改或撤销交易**,也 **不提供任何投资建议**。
""",
            },
        },
    },
    {
        "slug": "trade-records", "category": "trading", "related": ["urgent-trading-problem", "complaints-escalation"],
        "translations": {
            "en": {
                "title": "Can support change a trade or give investment advice?",
                "keywords": "investment advice recommend buy sell signal change trade record refund loss cancel trade history",
                "body": """
No. Our agents **give no investment advice** (which pair to trade, when to buy or sell) and **cannot change trade
records**.

If you believe a trade was executed wrongly, send the **order number, pair, time and a screenshot** by ticket or
e-mail: we investigate with the platform records and answer in writing. If you disagree with the answer, open a
**complaint**.
""",
            },
            "zh-hans": {
                "title": "客服可以修改交易记录或提供投资建议吗?",
                "keywords": "投资建议 推荐 买什么 喊单 修改交易 交易记录 亏损 赔偿 撤销交易",
                "body": """
不可以。客服 **不提供投资建议**(交易什么品种、何时买卖),也 **不能修改交易记录**。

如果您认为某笔交易执行有误,请通过工单或邮件发送 **订单号、交易对、时间和截图**:我们会根据平台记录调查并书面答复。如对答复有异议,可以提交 **投诉**。
""",
            },
        },
    },
    # -- funds -----------------------------------------------------------------------------------
    {
        "slug": "deposit-withdrawal-times", "category": "funds", "related": ["deposit-not-arrived", "withdrawal-delayed"],
        "translations": {
            "en": {
                "title": "Deposit and withdrawal times and minimum amounts",
                "keywords": "how long deposit withdrawal withdraw time processing minimum amount bank transfer unionpay local bank instant business days fees",
                "body": """
| Method | Deposit | Withdrawal | Minimum |
|---|---|---|---|
| Bank transfer | 1–3 business days | 1–3 business days | $10 |
| UnionPay | instant | 1–3 business days | $10 |
| Local bank | instant | same day | $10 |

Times start when the request is accepted and count business days. Withdrawals go back to a **verified payment
method in your own name**, so verify your account and payment method first.

If a deposit has not arrived, read *My deposit has not arrived*; if a withdrawal takes longer than the time
above, read *My withdrawal is late*.
""",
            },
            "zh-hans": {
                "title": "存款和提现到账时间及最低金额",
                "keywords": "入金 出金 取款 充值 多久到账 到账时间 处理时间 最低金额 最少 银行转账 银联 本地银行 即时到账 工作日",
                "body": """
| 方式 | 存款 | 提现 | 最低金额 |
|---|---|---|---|
| 银行转账 | 1–3 个工作日 | 1–3 个工作日 | 10 美元 |
| 银联 | 即时到账 | 1–3 个工作日 | 10 美元 |
| 本地银行 | 即时到账 | 当天到账 | 10 美元 |

时间从申请被受理时开始计算,按工作日计。提现只会退回到 **已验证的本人支付方式**,所以请先完成账户和支付方式验证。

如果存款没有到账,请阅读《存款没有到账怎么办》;如果提现超过上述时间,请阅读《提现延迟怎么办》。
""",
            },
        },
    },
    {
        "slug": "deposit-not-arrived", "category": "funds", "related": ["deposit-withdrawal-times", "what-to-include"],
        "translations": {
            "en": {
                "title": "My deposit has not arrived: what to check",
                "keywords": "deposit not arrived missing not credited not received balance not updated money where funds top up",
                "body": """
Check these first:

1. The payment method is **verified** and in **your own name**.
2. The amount is **at least the minimum** ($10).
3. Your **account has been reviewed** (verification complete).
4. **Wait 15–30 minutes**: instant methods can take that long to show; bank transfers take 1–3 business days.

Still missing? Send a ticket or e-mail with the **transaction ID (or hash for crypto)**, the **exact amount**,
the **method** and the **time of payment**, plus the bank or wallet receipt. We track the deposit with these and
answer within 24 hours.
""",
            },
            "zh-hans": {
                "title": "存款没有到账怎么办",
                "keywords": "充值没到账 入金没到 存款未到账 余额没变 钱没到 充币 没有入账",
                "body": """
请先检查:

1. 支付方式已 **通过验证**,且是 **本人名下**。
2. 金额 **不低于最低限额**(10 美元)。
3. 您的 **账户已审核通过**(已完成身份验证)。
4. **等待 15–30 分钟**:即时到账的方式也可能需要这么久才显示;银行转账需要 1–3 个工作日。

仍未到账?请提交工单或发送邮件,提供 **交易 ID(加密货币请提供交易哈希)**、**准确金额**、**支付方式** 和 **付款时间**,并附上银行或钱包的付款凭证。我们会据此追踪这笔存款,并在 24 小时内答复。
""",
            },
        },
    },
    {
        "slug": "withdrawal-delayed", "category": "funds", "related": ["deposit-withdrawal-times", "payment-method-proof"],
        "translations": {
            "en": {
                "title": "My withdrawal is late or was rejected",
                "keywords": "withdrawal late delayed pending slow not received rejected failed withdraw cash out payout where money",
                "body": """
First compare with the normal times: bank transfer and UnionPay **1–3 business days**, local bank **same day**.
Weekends and holidays do not count as business days.

Common reasons for a delay or a rejection:

- the account or the payment method is **not verified yet**;
- the withdrawal goes to a **method in someone else's name**;
- the amount is **below the $10 minimum**;
- the bank returned the payment (wrong account details).

If the time has passed, e-mail us or book a **call-back** with the **withdrawal ID, amount, method and date**.
We explain where the payment is and help with failed transactions.
""",
            },
            "zh-hans": {
                "title": "提现延迟或被拒怎么办",
                "keywords": "提现没到账 提现慢 取款延迟 出金 提币 一直处理中 提现失败 提现被拒 钱没收到",
                "body": """
先对照正常到账时间:银行转账和银联 **1–3 个工作日**,本地银行 **当天到账**。周末和节假日不算工作日。

延迟或被拒的常见原因:

- 账户或支付方式 **尚未验证**;
- 提现到 **他人名下** 的支付方式;
- 金额 **低于 10 美元的最低限额**;
- 银行退回了款项(账户信息有误)。

如果已超过到账时间,请发送邮件或预约 **电话回拨**,提供 **提现编号、金额、方式和日期**。我们会说明款项的处理进度,并协助处理失败的交易。
""",
            },
        },
    },
    # -- security --------------------------------------------------------------------------------
    {
        "slug": "never-share-secrets", "category": "security", "related": ["verify-official-contacts", "sent-secret-by-mistake"],
        "translations": {
            "en": {
                "title": "Never share these with anyone, not even support",
                "keywords": "password 2fa sms code verification code seed phrase mnemonic private key api key card number cvv secret scam share",
                "body": """
Support **never** asks for:

- your **password**;
- an **SMS or 2FA code** (Google Authenticator etc.);
- your **private key** or **seed phrase (mnemonic words)**;
- an **API key** or secret;
- your **full card number** or CVV.

Anyone who asks for one of these is **not us**, whatever their name, logo or urgency. We confirm your identity
only with your account number and registered contact details.

If you sent one by mistake, read *I sent a password or code by mistake* now.
""",
            },
            "zh-hans": {
                "title": "这些信息绝不要告诉任何人,包括客服",
                "keywords": "密码 验证码 短信验证码 谷歌验证 二次验证 助记词 私钥 API 密钥 银行卡号 CVV 诈骗 泄露",
                "body": """
客服 **绝不会** 向您索要:

- **密码**;
- **短信验证码或二次验证(2FA)码**(如谷歌验证器);
- **私钥** 或 **助记词**;
- **API 密钥**;
- **完整银行卡号** 或 CVV。

任何索要这些信息的人 **都不是我们**,无论对方用什么名字、头像,或者说得多紧急。我们只通过账号和注册联系方式核实您的身份。

如果您已经误发了这些信息,请立即阅读《误把密码或验证码发给了别人》。
""",
            },
        },
    },
    {
        "slug": "sent-secret-by-mistake", "category": "security", "related": ["never-share-secrets", "login-problems"],
        "translations": {
            "en": {
                "title": "I sent a password or code by mistake: what to do now",
                "keywords": "sent password by mistake leaked exposed compromised hacked shared code seed phrase stolen change password",
                "body": """
Act at once:

1. **Change your password** and turn **2FA** off and on again to get a new secret.
2. If you shared a **seed phrase or private key**, move your funds to a **new wallet** immediately: the old one
   can no longer be trusted.
3. If you shared an **API key**, delete it and create a new one.
4. If you shared a **card number**, call your bank.
5. Tell us in **live chat** so we can watch your account.

When you paste a secret into our chat or a ticket, the desk hides it from agents and logs and warns you, but the
safe assumption is that it is exposed.
""",
            },
            "zh-hans": {
                "title": "误把密码或验证码发给了别人怎么办",
                "keywords": "泄露 密码泄露 被盗 被骗 发错 助记词泄露 私钥泄露 账户被盗 修改密码",
                "body": """
请立即:

1. **修改密码**,并重新绑定 **二次验证(2FA)**,生成新的密钥。
2. 如果泄露了 **助记词或私钥**,请马上把资产转到 **新钱包**:旧钱包已不再安全。
3. 如果泄露了 **API 密钥**,请删除并重新创建。
4. 如果泄露了 **银行卡号**,请联系发卡银行。
5. 通过 **在线聊天** 告诉我们,以便我们关注您的账户。

您在聊天或工单中粘贴的敏感信息会对客服和日志隐藏,系统也会提醒您;但最稳妥的做法是当作已经泄露处理。
""",
            },
        },
    },
    {
        "slug": "verify-official-contacts", "category": "security", "related": ["never-share-secrets", "anti-phishing-phrase"],
        "translations": {
            "en": {
                "title": "Is this really support? How to check a contact or an agent",
                "keywords": "fake support scam phishing impersonation telegram wechat whatsapp official contact check agent code verify real genuine",
                "body": """
Fake "support" accounts contact customers on Telegram, WeChat, social networks and by e-mail to steal funds.
Before you reply, **check the contact on our [/check/](/check/) page**: paste the e-mail address, website,
phone number, Telegram or WeChat ID, social account or **agent code**, and it tells you whether it is official
or a lookalike.

Every agent has a code such as **AG-…**; ask for it and check it. Our official contacts are listed on the same
page. Remember: we never contact you first to ask for money, a transfer "to a safe wallet", or your codes.
""",
            },
            "zh-hans": {
                "title": "真的是官方客服吗?如何核实联系人和客服身份",
                "keywords": "假客服 冒充客服 骗子 钓鱼 诈骗 电报 微信 官方联系方式 核实 客服工号 真假",
                "body": """
假冒“客服”的账号会通过 Telegram、微信、社交网络或邮件联系客户,骗取资金。回复之前,**请先在我们的 [/check/](/check/) 页面核实**:粘贴对方的邮箱、网址、电话号码、Telegram 或微信号、社交账号或 **客服工号**,页面会告诉您是官方的还是仿冒的。

每位客服都有一个工号,如 **AG-…**;请向对方索要并核实。官方联系方式也列在该页面上。请记住:我们绝不会主动联系您索要资金、要求您把资产转到“安全钱包”,或索要验证码。
""",
            },
        },
    },
    {
        "slug": "anti-phishing-phrase", "category": "security", "related": ["verify-official-contacts", "never-share-secrets"],
        "translations": {
            "en": {
                "title": "Set your anti-phishing phrase",
                "keywords": "anti-phishing phrase code email genuine fake email phishing profile setting",
                "body": """
An anti-phishing phrase is a word or sentence only you and we know. Set it in your **profile**; from then on
**every e-mail we send you shows it**.

An e-mail that claims to be from us but does not show your phrase is **fake**: do not click its links and do not
reply. Choose a phrase that is not your password and not used anywhere else.
""",
            },
            "zh-hans": {
                "title": "设置防钓鱼码",
                "keywords": "防钓鱼码 防钓鱼短语 钓鱼邮件 假邮件 邮件真假",
                "body": """
防钓鱼码是只有您和我们知道的一个词或一句话。在 **个人资料** 中设置后,**我们发给您的每一封邮件都会显示它**。

自称来自我们、却没有显示您防钓鱼码的邮件都是 **假冒的**:不要点击其中的链接,也不要回复。请不要用密码或在别处用过的词作为防钓鱼码。
""",
            },
        },
    },
    {
        "slug": "two-factor-authentication", "category": "security", "related": ["never-share-secrets", "login-problems"],
        "translations": {
            "en": {
                "title": "Protect your account with two-factor authentication",
                "keywords": "2fa two factor authenticator google authenticator lost phone security code enable reset",
                "body": """
Two-factor authentication (2FA) asks for a one-time code from your phone after your password. Turn it on in your
account security settings and keep the backup code somewhere safe and offline.

- The code is for **you only**: support will never ask for it.
- **Lost your phone?** Use your backup code. Without it, contact us from your registered e-mail address: we
  confirm your identity with your account number and registered details before 2FA is reset.
""",
            },
            "zh-hans": {
                "title": "用二次验证保护您的账户",
                "keywords": "二次验证 双重验证 谷歌验证器 手机丢了 换手机 验证码 开启 重置",
                "body": """
二次验证(2FA)会在输入密码后,再要求输入手机上生成的一次性验证码。请在账户安全设置中开启,并把备用码离线妥善保存。

- 验证码 **只属于您自己**:客服绝不会索要。
- **手机丢了?** 请使用备用码。没有备用码时,请用注册邮箱联系我们:我们会先通过账号和注册信息核实身份,再重置二次验证。
""",
            },
        },
    },
]
