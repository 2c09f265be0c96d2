"""Phrase tables for the fictitious demo district 江城区 (data only, no logic).

`content.py` composes opinions from these tables. A template may contain:

* ``{name}``: a value from SLOTS, or from what the composer fixes for one opinion (``{unit}``,
  ``{street}``, ``{community}``, ``{park}`` …); the same name gives the same value within one
  opinion, so a road mentioned twice is the same road;
* ``{n:a-b}``: an Arabic integer, ``{cn:a-b}``: a Chinese numeral (两, 十二 …) in that range;
* ``<a|b|c>``: one of the alternatives (synonyms);
* ``[a|b]``: optional: nothing half of the time, else one of the alternatives.

Complaint, detail and suggestion fragments carry no final punctuation; the composer adds it.
Suggestions are verb phrases, so that 建议/希望/能不能/恳请 … can go before any of them.
Details are generic to their topic (they fit every complaint of it); a detail that fits one
complaint only is written into that complaint as an optional ``[…]`` tail.
All places, names and people are invented.
"""

from __future__ import annotations

from dataclasses import dataclass


def _lines(block: str) -> tuple[str, ...]:
    """One phrase per non-empty line: keeps long phrase lists readable and diff-friendly."""
    return tuple(line.strip() for line in block.splitlines() if line.strip())


def _words(block: str) -> tuple[str, ...]:
    """Whitespace-separated words (names, codes) of a block."""
    return tuple(block.split())


# --- Units ------------------------------------------------------------------------------------

FUNCTIONAL = "职能部门"
STREET_OR_PARK = "街道园区"

UNITS: tuple[tuple[str, str, str], ...] = (
    ("U01", "区发展和改革局", FUNCTIONAL),
    ("U02", "区市场监督管理局", FUNCTIONAL),
    ("U03", "区税务局", FUNCTIONAL),
    ("U04", "区人力资源和社会保障局", FUNCTIONAL),
    ("U05", "区住房和城乡建设局", FUNCTIONAL),
    ("U06", "区生态环境分局", FUNCTIONAL),
    ("U07", "区行政审批局（政务服务中心）", FUNCTIONAL),
    ("U08", "区自然资源和规划分局", FUNCTIONAL),
    ("U09", "区商务局", FUNCTIONAL),
    ("U10", "区科技和工业信息化局", FUNCTIONAL),
    ("U11", "区城市管理局", FUNCTIONAL),
    ("U12", "区交通运输局", FUNCTIONAL),
    ("U13", "区公安分局", FUNCTIONAL),
    ("U14", "区卫生健康局", FUNCTIONAL),
    ("U15", "区教育局", FUNCTIONAL),
    ("U16", "区民政局", FUNCTIONAL),
    ("U17", "区应急管理局", FUNCTIONAL),
    ("U18", "城关街道", STREET_OR_PARK),
    ("U19", "东湖街道", STREET_OR_PARK),
    ("U20", "西山街道", STREET_OR_PARK),
    ("U21", "南岸街道", STREET_OR_PARK),
    ("U22", "北城街道", STREET_OR_PARK),
    ("U23", "高新技术产业园区", STREET_OR_PARK),
    ("U24", "经济开发区", STREET_OR_PARK),
    ("U25", "临港物流园区", STREET_OR_PARK),
)

STREET_UNITS = ("U18", "U19", "U20", "U21", "U22")
PARK_UNITS = ("U23", "U24", "U25")

# What people actually call a unit when they write about it.
UNIT_NICKNAMES: dict[str, tuple[str, ...]] = {
    "U01": ("发改局", "区发改局"),
    "U02": ("市场监管局", "市监局"),
    "U03": ("税务局", "办税服务厅"),
    "U04": ("人社局", "社保局"),
    "U05": ("住建局", "区住建局"),
    "U06": ("环保局", "生态环境分局"),
    "U07": ("政务服务中心", "政务大厅", "行政审批局"),
    "U08": ("不动产登记中心", "自然资源和规划分局"),
    "U09": ("商务局", "区商务局"),
    "U10": ("科技局", "工信局", "科工信局"),
    "U11": ("城管", "城管局"),
    "U12": ("交通局", "区交通运输局"),
    "U13": ("派出所", "公安分局"),
    "U14": ("卫健局", "区卫健局"),
    "U15": ("教育局", "区教育局"),
    "U16": ("民政局", "区民政局"),
    "U17": ("应急管理局", "应急局"),
    "U18": ("城关街道", "街道办"),
    "U19": ("东湖街道", "街道办"),
    "U20": ("西山街道", "街道办"),
    "U21": ("南岸街道", "街道办"),
    "U22": ("北城街道", "街道办"),
    "U23": ("高新区管委会", "高新区"),
    "U24": ("经开区管委会", "开发区"),
    "U25": ("物流园管委会", "临港物流园"),
}

# Communities (社区) of each residential street, 5–8 per street, unique in the district.
COMMUNITIES: dict[str, tuple[str, ...]] = {
    "城关街道": _words("鼓楼社区 文昌社区 府前社区 南门社区 西大街社区 钟楼社区 学府社区"),
    "东湖街道": _words("桂花社区 东湖社区 湖滨社区 荷塘社区 梨园社区 翠柳社区"),
    "西山街道": _words("西山社区 枫林社区 松涛社区 紫薇社区 竹苑社区 红星社区 青峰社区"),
    "南岸街道": _words("滨江社区 望江社区 江滩社区 沙洲社区 新港社区 码头社区"),
    "北城街道": _words("北苑社区 幸福社区 和平社区 建设社区 工农社区 新华社区 民主社区 团结社区"),
}

# --- Roster vocabulary --------------------------------------------------------------------------

# (industry, share of the roster, share of 规上 within it, business words for the name).
# The 规上 shares average to about 30 % over the roster.
INDUSTRIES: tuple[tuple[str, float, float, tuple[str, ...]], ...] = (
    ("制造业", 0.24, 0.45, _words("""
        机械制造 精密机械 汽车零部件 新材料科技 食品 包装材料 塑胶制品 金属制品 服饰 医疗器械
        环保设备 电气设备 光电科技 模具 印务 生物制药 家具 线缆
    """)),
    ("批发和零售业", 0.22, 0.25, _words("""
        商贸 贸易 百货 医药连锁 建材 农产品 超市 电器 汽车销售服务 五金交电 酒业 粮油
    """)),
    ("信息传输软件和信息技术服务业", 0.12, 0.30, _words("""
        软件 信息技术 网络科技 数据科技 智能科技 通信技术 数字科技 云计算 信息系统
    """)),
    ("建筑业", 0.10, 0.35, _words("""
        建设工程 建筑工程 装饰工程 市政工程 园林绿化工程 钢结构工程 机电安装工程 防水工程
    """)),
    ("交通运输仓储和邮政业", 0.09, 0.30, _words("""
        物流 运输 仓储服务 货运代理 冷链物流 速递 汽车客运 供应链
    """)),
    ("住宿和餐饮业", 0.08, 0.15, _words("""
        餐饮管理 酒店管理 大酒店 宾馆 餐饮服务 食府 茶餐厅
    """)),
    ("租赁和商务服务业", 0.09, 0.20, _words("""
        企业管理咨询 人力资源服务 广告传媒 会展服务 设备租赁 商务咨询 知识产权代理 文化传播
    """)),
    ("科学研究和技术服务业", 0.06, 0.25, _words("""
        检测技术 生物科技 工程设计 环境科技 技术咨询 检验检测 工程技术 测绘
    """)),
)  # fmt: skip

# Where each industry tends to sit: weights over U18–U25 (five streets, then the three parks).
LOCATION_WEIGHTS: dict[str, tuple[float, ...]] = {
    "制造业": (1, 1, 2, 1, 2, 6, 8, 2),
    "批发和零售业": (5, 4, 3, 4, 4, 1, 1, 2),
    "信息传输软件和信息技术服务业": (3, 3, 1, 1, 1, 9, 2, 1),
    "建筑业": (3, 2, 3, 3, 3, 1, 2, 1),
    "交通运输仓储和邮政业": (1, 1, 1, 2, 1, 1, 2, 9),
    "住宿和餐饮业": (6, 5, 3, 4, 4, 1, 1, 1),
    "租赁和商务服务业": (5, 4, 2, 2, 2, 3, 2, 2),
    "科学研究和技术服务业": (2, 2, 1, 1, 1, 8, 3, 1),
}

# Trade names (字号): a hand-written list plus single characters that pair into plausible ones.
TRADE_NAMES = _words("""
    楚天 长江 汉江 黄鹤 东湖 江汉 荆楚 晴川 龟山 南岸 临港 金桥 万通 宏图 联创 中润 新航 远大
    天成 华信 鼎盛 银河
""")
TRADE_NAME_CHARACTERS = (
    "鑫源恒通华瑞达昌盛宏泰兴隆博宇嘉诚信安康德丰汇金海天晟创新科远航祥和顺润峰凯辰星明志"
    "佳益合众腾锦荣欣卓越立宸弘骏鸿逸晨"
)

# Common surnames with rough relative frequencies.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 7.1), ("李", 7.0), ("张", 6.7), ("刘", 5.4), ("陈", 4.5), ("杨", 3.1), ("黄", 2.2),
    ("赵", 2.0), ("吴", 1.9), ("周", 1.9), ("徐", 1.5), ("孙", 1.4), ("马", 1.3), ("朱", 1.2),
    ("胡", 1.2), ("郭", 1.1), ("何", 1.1), ("高", 1.0), ("林", 1.0), ("罗", 0.9), ("郑", 0.9),
    ("梁", 0.8), ("谢", 0.8), ("宋", 0.7), ("唐", 0.7), ("许", 0.6), ("韩", 0.6), ("冯", 0.6),
    ("邓", 0.6), ("曹", 0.6), ("彭", 0.6), ("曾", 0.5), ("肖", 0.5), ("田", 0.5), ("董", 0.5),
    ("袁", 0.5), ("潘", 0.4), ("蒋", 0.4), ("蔡", 0.4), ("余", 0.4), ("杜", 0.4), ("叶", 0.4),
    ("程", 0.4), ("魏", 0.4), ("吕", 0.3), ("丁", 0.3), ("任", 0.3), ("沈", 0.3), ("姚", 0.3),
    ("卢", 0.3), ("熊", 0.3), ("雷", 0.3), ("万", 0.2), ("覃", 0.2), ("欧阳", 0.1),
)  # fmt: skip
MALE_NAME_CHARACTERS = (
    "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆旭宁龙林阳建国志文海峰亮东成"
)
FEMALE_NAME_CHARACTERS = "芳娜敏静丽艳娟霞燕玲婷雪琳颖倩洁慧欣梅红萍莉月丹蕾怡佳璐雯悦晶"

AGE_BANDS: tuple[tuple[str, float], ...] = (
    ("18-29", 0.18),
    ("30-44", 0.30),
    ("45-59", 0.28),
    ("60+", 0.24),
)

# Mobile prefixes of the three carriers. The composer fixes the next four digits to 0000 or 0001,
# so a reader sees at once that a number is made up.
MOBILE_PREFIXES = _words("""
    130 131 132 133 134 135 136 137 138 139 150 151 152 153 155 156 157 158 159 166 173 177 180
    181 182 183 185 186 187 188 189 191 198 199
""")

# --- Opinion vocabulary --------------------------------------------------------------------------


SLOTS: dict[str, tuple[str, ...]] = {
    "road": _words("""
        江城大道 中山路 解放路 建设大道 滨江路 东湖路 西山路 南岸路 北城路 和平街 光明路 新华路
        工业大道 临港大道 高新大道 学府路 文昌路
    """),
    "landmark": _words("区人民医院 火车站 人民广场 区政务服务中心 江城天地 时代广场 中心菜市场 "
                       "老汽车站 体育中心 区图书馆"),
    "hospital": _words("区人民医院 区中医院 区妇幼保健院 社区卫生服务中心 江城中心医院"),
    "school": _words("实验小学 城关小学 东湖中学 第二实验小学 江城一中 滨江小学 北城中学"),
    "permit": _words("营业执照变更 食品经营许可证 施工许可证 道路运输经营许可证 卫生许可证 "
                     "建设工程规划许可证 排污许可证 公司注销"),
    "subsidy": _words("技改补贴 高新技术企业奖励 稳岗补贴 研发费用补助 招商引资奖励 外贸发展资金 "
                      "专精特新奖励 首次进规奖励"),
    "problem": _words("路灯不亮 下水道堵塞 楼道堆放杂物 噪音扰民 小区积水 井盖破损"),
    "when": _words("上个月 前几天 上周 去年年底 今年年初 前段时间 今年三月份 上半年 去年"),
    "age": _words("七十多 八十多 快八十 快九十 九十多"),
    "trade": _words("制造 外贸 餐饮 物流 软件 建筑 食品加工 电商"),
}  # fmt: skip

OPENERS_ANY = _lines("""
    我想反映一个问题：
    反映个情况，
    说点实际的，
    提个意见：
    实话实说，
    说句心里话，
    我就说一点，
    有个问题想反映一下：
    希望领导能看到：
    总体还可以，就是
    其他都挺好，就是
    别的没什么，主要是
    最大的问题是
    再提一次，
    不知道这里说有没有用，
    <真的|实在>忍不住要说一下，
""")
OPENERS_RESIDENT = _lines("""
    作为一名普通市民，
    作为{street}的老住户，
    我是{community}的居民，
    我家住在{community}，
    作为一个在江城住了{n:10-40}年的<老居民|老江城人>，
    我们小区的居民都有同感，
""")
OPENERS_ENTERPRISE = _lines("""
    作为一家{trade}企业，
    我们公司在{park}，
    我们是一家小微企业，
    代表公司提点意见：
    企业经营中遇到的问题：
    我们企业反映最多的是
""")
# Openers that end in punctuation also fit before a suggestion; these fit only there.
OPENERS_SUGGESTION = _lines("""
    提个建议：
    个人建议，
    说个想法，
    一点小建议：
""")

# (prefix, mark): the mark ends the sentence when the suggestion is a question or an outcry.
SUGGESTION_PREFIXES: tuple[tuple[str, str], ...] = (
    ("建议", "。"),
    ("希望", "。"),
    ("希望能", "。"),
    ("能不能", "？"),
    ("强烈建议", "！"),
    ("可否", "？"),
    ("恳请", "。"),
    ("建议相关部门", "。"),
)

CLOSERS_COMPLAINT = _lines("""
    谢谢！
    辛苦了。
    希望能重视。
    盼回复。
    望采纳。
    就这些。
    希望不要只是走过场。
    这个问题已经反映好多次了。
    希望尽快解决。
    希望能给个说法。
    麻烦了，谢谢。
""")
CLOSERS_NEUTRAL = _lines("""
    谢谢。
    个人意见，仅供参考。
    望采纳。
    辛苦了！
    就这些。
""")
CLOSERS_PRAISE = _lines("""
    点个赞！
    希望继续保持。
    谢谢你们！
    辛苦了！
    为你们点赞。
    越来越好了。
    继续加油！
    非常满意。
""")
OPENERS_PRAISE = _lines("""
    必须表扬一下，
    说句公道话，
    这次办事体验很好，
    实事求是地讲，
    想表扬一下，
""")
# Details of a good experience at a service window or office.
SERVICE_PRAISE_DETAILS = _lines("""
    表格我看不太懂，他们专门给我讲了一遍
    下班时间到了还坚持帮我办完
    有问题打电话过去都能耐心解答
    全程没让我多跑一趟
    办完还打电话回访了
    {when}去办的，前后不到半小时
    <连我都没想到|没想到>这么顺利
""")

# Sentence ends by sentiment (-1, 0, 1); "" is a phone user who never types a full stop.
END_MARKS: dict[int, tuple[str, ...]] = {
    -1: ("。", "。", "。", "！", "！！", "。。。", "", "…"),
    0: ("。", "。", "。", "", "！"),
    1: ("。", "。", "！", "！", ""),
}
EMOJI: dict[int, tuple[str, ...]] = {
    -1: ("😡", "😤", "🙄", "😓", "😭", "💢"),
    0: ("🙏", "🤔", "🙏🙏"),
    1: ("👍", "👏", "😊", "💪", "❤️", "🌹", "👍👍👍"),
}

# Sentences that carry personal information, so the demo shows masking at work.
PII_SENTENCES = _lines("""
    我的电话{phone}，欢迎联系。
    有需要可以打我电话{phone}
    联系人{surname}先生，{phone}
    联系电话：{phone}
    具体情况可以打{phone}找我
    （本人身份证号{id_number}，可以核实）
    我身份证号是{id_number}，系统里一查就知道
    我家车牌号鄂A{plate}，电话{phone}
""")


# --- Topics ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Topic:
    """One opinion topic: which units it concerns, who writes it and the phrases to use."""

    key: str
    label: str
    units: tuple[str, ...]  # empty: the opinion concerns no particular unit
    audience: str  # "enterprise", "resident" or "any"
    weight: float
    complaints: tuple[str, ...] = ()
    details: tuple[str, ...] = ()
    suggestions: tuple[str, ...] = ()
    praises: tuple[str, ...] = ()
    praise_details: tuple[str, ...] = ()


_ALL_UNITS = tuple(code for code, _, _ in UNITS)

TOPICS: tuple[Topic, ...] = (
    Topic(
        key="parking",
        label="停车难",
        units=("U11", "U12"),
        audience="any",
        weight=5,
        complaints=_lines("""
            停车<太|真的太|实在太>难了
            停车位<太少了|严重不够>
            {road}附近根本找不到停车位
            {community}停车位严重不足，晚上回来只能停路边[，第二天一早还要赶紧挪车]
            晚上七点以后{community}周边就找不到地方停车
            去{landmark}办事，光找车位就转了{n:20-40}分钟
            路边停车收费太贵，一小时{n:5-10}块[，停个半天几十块就没了]
            刚在{road}路边停了几分钟就被贴了罚单[，也没看到禁停标志]
            老小区没有停车位，车都停在消防通道上[，真出了事消防车都进不来]
            公司门口的路划了禁停线，客户来了没地方停车
        """),
        details=_lines("""
            每天下班回来都要绕好几圈
            有时候只能停到{cn:3-8}百米外再走回来
            好几次因为停车跟邻居吵起来
            周末去{landmark}更是一位难求
            很多僵尸车长期占着车位也没人管
        """),
        suggestions=_lines("""
            多建几个立体停车场
            把{road}沿线的闲置空地改成临时停车场
            清理一下长期占用车位的僵尸车
            允许晚上在{road}两边临时停车
            让机关和学校的停车场下班后向周边居民开放
            出一个全区停车位查询的小程序
        """),
    ),
    Topic(
        key="elevator",
        label="老旧小区加装电梯",
        units=("U05", *STREET_UNITS),
        audience="resident",
        weight=4,
        complaints=_lines("""
            老小区加装电梯太难了
            我们{community}的老房子没有电梯，老人上下楼<太辛苦|太遭罪>了
            加装电梯的事谈了{cn:2-3}年还是没动静
            加装电梯申请交上去{n:3-8}个月了还没批下来
            一楼住户不同意，加装电梯的事一直卡着[，说是挡了采光]
            电梯装好{cn:3-6}个月了还不能用，验收迟迟办不下来
            加装电梯的补贴标准一直没说清楚[，大家不知道自己要出多少钱]
        """),
        details=_lines("""
            我家住{cn:5-7}楼，老伴腿脚不好，一个月都下不了几次楼
            楼里一大半都是{age}岁的老人
            要跑街道、住建、规划好几个部门，材料来回改
        """),
        suggestions=_lines("""
            由街道和社区出面帮忙协调低层住户
            简化加装电梯的审批流程
            把补贴标准和申请流程公开出来
            安排专人对接加装电梯的事
            对加装电梯提供一站式代办
        """),
        praises=_lines("""
            社区帮我们协调加装电梯，现在老人上下楼方便多了
            我们楼的电梯{when}装好了，感谢{street}和社区的帮忙
        """),
    ),
    Topic(
        key="approval_materials",
        label="审批材料多、跑多次",
        units=("U07",),
        audience="enterprise",
        weight=5,
        complaints=_lines("""
            审批材料<太多了|太繁琐了>
            办个证要跑好几趟
            办{permit}前前后后跑了{cn:3-6}趟
            同样的材料每个窗口都要交一遍
            办{permit}要准备{n:12-30}份材料[，光复印就花了好几百块]
            窗口说材料不全，但又说不清到底缺什么
            网上说可以全程网办，到了现场还是要交纸质材料
            线上提交了还要线下再跑一趟
            一个许可从提交到拿证用了{n:20-45}个工作日[，耽误了项目开工]
            每次去都说要补材料，每次补的还不一样
            营业执照上已经有的信息还要我们再开证明
        """),
        details=_lines("""
            我们小企业就{cn:2-3}个人，专门派人跑审批实在耗不起
            前后折腾了差不多{cn:1-2}个月
            <一个上午|一整天>就耗在大厅里了
        """),
        suggestions=_lines("""
            一次性告知需要哪些材料
            推动各部门之间数据共享，别让企业重复提交
            把能在网上办的都放到网上
            推行容缺受理，次要材料后补
            多设几个帮办代办窗口
        """),
        praises=_lines("""
            现在办{permit}一次就办好了，比以前方便多了
            政务中心的帮办员全程陪着我们办，省了不少事
        """),
    ),
    Topic(
        key="online_portal",
        label="一网通办系统卡顿",
        units=("U07",),
        audience="any",
        weight=4,
        complaints=_lines("""
            一网通办系统<太卡了|卡得要命|经常卡死>
            网上办事系统经常打不开
            政务服务网一到上午九点多就卡得动不了
            上传材料老是失败，传了{cn:3-5}次都没成功[，附件超过{n:2-5}M就传不上去]
            网上申报填到一半页面就崩了，之前填的全没了
            网站只支持电脑浏览器，用手机根本打不开
            手机上的小程序经常闪退
            系统一直提示网络异常，打电话问客服也说不清楚
            电子签章总是验证不通过
            网上办事的入口太多了，不知道该用哪个
        """),
        details=_lines("""
            一个简单的变更搞了一整个上午
            客服电话打了{cn:3-6}次都占线
            最后还是只能跑到大厅去办
        """),
        suggestions=_lines("""
            升级一下服务器，高峰期多扩容
            把上传文件的大小限制放宽一点
            做个好用的手机版
            让系统在提交失败时自动保存草稿
            出个简单明了的操作视频
        """),
        praises=_lines("""
            现在在手机上就能办营业执照，很方便
            一网通办越来越好用了，不用跑腿
        """),
    ),
    Topic(
        key="tax_refund",
        label="退税慢",
        units=("U03",),
        audience="enterprise",
        weight=3,
        complaints=_lines("""
            退税<太慢了|慢得很>
            出口退税要等好久
            留抵退税申请{cn:2-4}个月了还没到账[，涉及金额{n:20-90}万元左右]
            {when}申请的退税到现在还在审核[，公司就等着这笔钱发工资]
            退税审核要求补充的资料太多
            开发票的系统时不时登不上去
            电子税务局申报高峰期特别卡
            税收政策变化太快，财务跟不上
        """),
        details=_lines("""
            打电话问了几次都说在走流程
            专管员换了好几个，每次都要重新解释
        """),
        suggestions=_lines("""
            公开退税进度，让企业能在网上查到
            缩短退税审核时间
            在政策调整的时候多搞几场培训
            给小微企业开辟退税绿色通道
        """),
        praises=_lines("""
            税务局的退税很快，{cn:3-7}个工作日就到账了
            税务专管员很专业，有问题随时解答
            办税服务厅的工作人员很耐心，手把手教我们操作
        """),
    ),
    Topic(
        key="recruitment",
        label="招工难",
        units=("U04",),
        audience="enterprise",
        weight=3,
        complaints=_lines("""
            招工<太难了|难>
            一线工人招不到
            厂里缺{n:20-80}个普工，招了{cn:2-3}个月也没招满
            年轻人都不愿意进厂，技术工人更难招[，熟练焊工、电工最缺]
            招聘会去的企业多，来找工作的人少
            新招的员工干不了几天就走了[，员工住宿也是个大问题]
            好不容易培养的技术员被别的地方挖走了
        """),
        details=_lines("""
            订单不敢多接，怕交不了货
            现在普工工资开到{n:5-7}千都招不到人
        """),
        suggestions=_lines("""
            多组织几场针对性的专场招聘会
            跟职业院校搞订单式培养
            让招工补贴落到实处
            在园区附近建一些员工宿舍
            把企业用工信息推到周边县市去
        """),
    ),
    Topic(
        key="social_insurance",
        label="社保办理",
        units=("U04",),
        audience="any",
        weight=3,
        complaints=_lines("""
            社保办理太麻烦
            社保转移接续办了{cn:2-4}个月还没办好[，工作人员说要等系统]
            灵活就业人员的社保缴费入口不好找
            社保卡补办要等{n:15-30}天
            养老金资格认证手机上总是识别不了[，老人只能让子女请假来办]
            员工社保增减员每个月都要跑一趟
            社保窗口人太多，排了一上午
            医保异地备案流程搞不清楚
        """),
        details=_lines("""
            打12333一直占线
            问了{cn:2-3}个窗口，说法都不一样
        """),
        suggestions=_lines("""
            把社保业务尽量都放到网上办
            多安排几个社保窗口
            给老年人保留线下办理的渠道
            把办理流程做成一张明白纸
        """),
        praises=_lines("""
            社保窗口的工作人员很热情，一次就给办好了
            社保卡现在当场就能领，太方便了
        """),
    ),
    Topic(
        key="env_inspection",
        label="环保检查频繁",
        units=("U06",),
        audience="enterprise",
        weight=3,
        complaints=_lines("""
            环保检查<太频繁了|太多了>
            一个月来了{cn:3-5}次环保检查[，每次都要停工配合半天]
            环保检查标准不统一，每次来的人说法都不一样
            刚整改完又要重新整改[，为了整改已经投了{n:20-80}万左右]
            环评手续办得太慢，项目一直等着
            排污许可证延续拖了很久
            环保一刀切，说停产就停产
        """),
        details=_lines("""
            企业正常生产受到很大影响
            我们也想守法经营，但标准老在变
        """),
        suggestions=_lines("""
            推行多部门联合检查，一次查完
            在检查之前把标准讲清楚
            多给企业一些指导，少一些处罚
            给整改留出合理的时间
            对守法企业做到无事不扰
        """),
        praises=_lines("""
            环保分局的同志上门帮我们分析问题，提了很多实用的整改建议
        """),
    ),
    Topic(
        key="road_works",
        label="道路施工扰民",
        units=("U12", "U11"),
        audience="any",
        weight=4,
        complaints=_lines("""
            道路施工扰民
            {road}修了快{cn:1-2}年了还没修好
            {road}反复开挖，今年已经挖了{cn:2-4}次
            晚上十一点以后还在施工，吵得睡不着[，家里有高考的孩子，根本没法休息]
            施工围挡占了大半条路，天天堵车[，早晚高峰堵{n:20-40}分钟是常事]
            施工路段灰尘太大，窗户都不敢开
            修路也不提前通知，公交站说撤就撤
            施工完路面坑坑洼洼，也没人来修补
        """),
        details=_lines("""
            路口连个指示牌都没有，外地司机经常走错
            下雨天到处是泥水
            周边的商户生意都受了影响
        """),
        suggestions=_lines("""
            合理安排施工时间，晚上不要施工
            提前公示工期，按期完工
            让管线单位一起施工，别挖了又挖
            在施工路段多洒水降尘
            在路口安排人员疏导交通
        """),
    ),
    Topic(
        key="school_places",
        label="学位紧张",
        units=("U15",),
        audience="resident",
        weight=3,
        complaints=_lines("""
            学位<太紧张了|紧张>
            {school}报名的人太多，学位根本不够
            孩子上学要跑{n:3-6}公里，附近的学校进不去[，每天接送路上要花一个小时]
            新小区都住满了，配套学校还没建好
            划片范围年年变，家长心里没底
            一个班{n:50-60}多个孩子，老师根本顾不过来
            放学时间太早，家长下班接不了
            课后服务质量一般，基本就是写作业
        """),
        details=_lines("""
            家长群里大家都很焦虑
            孩子明年就要上学了，心里一点底都没有
        """),
        suggestions=_lines("""
            加快{community}附近配套学校的建设
            提前公布划片方案
            多招一些老师，把班额降下来
            在课后服务里多开点兴趣课
        """),
        praises=_lines("""
            {school}的老师很负责，孩子进步很大
            课后延时服务解决了我们双职工接孩子的大难题
        """),
    ),
    Topic(
        key="hospital_queue",
        label="看病排队",
        units=("U14",),
        audience="resident",
        weight=3,
        complaints=_lines("""
            看病排队时间太长
            在{hospital}挂个号要排{cn:1-2}个多小时
            专家号根本挂不上[，凌晨{cn:5-6}点就去排队了]
            做个检查要预约到{cn:1-2}周以后
            排队{cn:2-3}个小时，看病就几分钟
            医院停车太难，进停车场就要排半小时
            社区卫生服务中心药品太少，很多药开不到
            自助机不会用，也没人指导
        """),
        details=_lines("""
            带着老人看病，来回折腾一整天
            孩子发烧在急诊等了一晚上
        """),
        suggestions=_lines("""
            多开放一些专家号
            推广分时段预约，别让大家都挤在早上
            在自助机旁边安排志愿者帮忙
            加强社区医院的力量，小病不用去大医院
        """),
        praises=_lines("""
            {hospital}现在可以手机预约挂号，不用排队了，很方便
            家庭医生签约后，有问题打个电话就能咨询，很贴心
        """),
    ),
    Topic(
        key="elderly_care",
        label="养老服务",
        units=("U16", *STREET_UNITS),
        audience="resident",
        weight=3,
        complaints=_lines("""
            养老服务跟不上
            社区养老服务中心离家太远
            老年食堂饭菜价格偏高，品种也少
            养老院床位太紧张，排了{n:3-8}个月还没排上
            高龄补贴申请手续太繁琐
            居家养老上门服务一个月才来一次
            独居老人没人照看
        """),
        details=_lines("""
            老人{age}岁了，子女都在外地
            老伴行动不便，出门很困难
        """),
        suggestions=_lines("""
            在每个社区都建一个老年食堂
            多组织志愿者上门探访独居老人
            增加养老机构的床位
            让高龄补贴自动发放，不用老人来回跑
        """),
        praises=_lines("""
            社区的老年食堂饭菜可口，价格实惠，老人都很满意
            {community}的网格员经常上门看望我家老人，很暖心
        """),
    ),
    Topic(
        key="policy_funds",
        label="政策兑现慢、惠企资金",
        units=("U09", "U10", "U01"),
        audience="enterprise",
        weight=4,
        complaints=_lines("""
            惠企政策兑现<太慢|太慢了|慢>
            去年的奖补资金到现在还没拨付
            申报的{subsidy}{n:6-12}个月了还没到账[，企业前期已经垫进去{n:100-500}多万]
            政策文件看不懂，不知道自己能享受哪些
            申报{subsidy}要交的材料比补贴本身还麻烦[，还专门请了中介]
            政策出来了，具体细则迟迟不出
            承诺的{subsidy}只兑现了一半
            政策宣传不到位，好多政策过了申报期才知道
        """),
        details=_lines("""
            问了{cn:3-5}个部门，互相推来推去
            企业现在经营压力很大
        """),
        suggestions=_lines("""
            推行免申即享，符合条件的直接兑现
            把惠企政策汇编成册，发到每家企业
            公开资金拨付进度
            给每个企业配一个政策服务专员
            把兑现时限写进文件里，超时要说明原因
        """),
        praises=_lines("""
            {subsidy}很快就到账了，给企业解决了大问题
            {unit}的同志主动上门讲解政策，帮我们申报成功了
        """),
    ),
    Topic(
        key="park_facilities",
        label="园区配套",
        units=PARK_UNITS,
        audience="enterprise",
        weight=3,
        complaints=_lines("""
            园区配套<太差|跟不上>
            园区里连个像样的食堂都没有
            园区到城区只有一趟公交，{n:30-50}分钟一班
            园区晚上路灯不亮，员工下夜班不安全
            园区附近没有员工宿舍，员工通勤太远
            园区网络信号差，宽带只有一家可选
            园区停电太频繁，{when}停了{cn:2-3}次[，生产线重启一次损失好几万]
            园区里道路破损严重，大货车进出很困难
        """),
        details=_lines("""
            员工招进来留不住，主要是生活不方便
            附近连个超市和药店都没有
        """),
        suggestions=_lines("""
            在园区里配建一些人才公寓
            增开园区到城区的通勤公交
            引进一些餐饮和便利店
            加快园区道路的修补
            做好双回路供电保障
        """),
        praises=_lines("""
            {unit}的服务很到位，有问题随叫随到
            园区新开了职工食堂和便利店，员工反映很好
        """),
    ),
    Topic(
        key="logistics_congestion",
        label="物流通道拥堵",
        units=("U25", "U12"),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            物流通道<太堵了|堵得厉害>
            临港大道货车早晚高峰堵得厉害
            园区出入口只有一个，大货车排了{n:1-3}公里
            货车限行时间太长，白天基本出不去
            集装箱车在路边排队，占了半边路[，路边乱停的货车也很危险]
            园区通往高速的路口红绿灯时间太短
            物流园到码头的路太窄，会车都困难
        """),
        details=_lines("""
            一趟货本来{cn:1-2}个小时就能送到，现在要半天
            司机在路上耽误的时间都是成本
        """),
        suggestions=_lines("""
            尽快打通园区到高速的第二通道
            优化货车限行时段
            在园区里建一个货车停车场
            调整路口红绿灯的配时
        """),
    ),
    Topic(
        key="night_market",
        label="夜市噪音、油烟",
        units=("U11", "U06"),
        audience="resident",
        weight=3,
        complaints=_lines("""
            夜市<太吵了|吵死了>
            楼下烧烤油烟太大
            楼下夜市每天营业到凌晨{cn:1-3}点
            烧烤摊的油烟直接往我家窗户里灌[，夏天窗户都不敢开]
            夜市收摊后满地垃圾，早上臭得不行
            {road}的夜宵摊占道经营，人行道都走不了
            大排档喝酒划拳一直闹到后半夜
            饭店的油烟净化器装了不开
        """),
        details=_lines("""
            家里老人孩子晚上根本睡不着
            打了{cn:3-6}次12345，管两天又恢复原样
        """),
        suggestions=_lines("""
            给夜市划定经营时间，超时就管
            把夜市搬到离居民楼远一点的地方
            督促商家安装并使用油烟净化设备
            晚上多派人巡查几次
        """),
        praises=_lines("""
            城管整治以后楼下的夜市规范多了，晚上安静了不少
        """),
    ),
    Topic(
        key="garbage_sorting",
        label="垃圾分类",
        units=("U11", *STREET_UNITS),
        audience="resident",
        weight=3,
        complaints=_lines("""
            垃圾分类没人管
            小区垃圾桶太少，经常满了溢出来
            分好类的垃圾被垃圾车一起倒了，分类还有什么意义
            垃圾站离楼太近，夏天味道太大[，苍蝇蚊子特别多]
            垃圾定时投放的时间太早，上班族赶不上
            大件垃圾和装修垃圾没地方扔
            垃圾清运不及时，隔{cn:2-3}天才拉一次
        """),
        details=_lines("""
            小区门口的垃圾堆了{cn:3-5}天都没人清
            好多人图方便随手乱扔
        """),
        suggestions=_lines("""
            增加垃圾桶和清运次数
            把分类运输也做到位
            把投放时间放宽到晚上{cn:8-10}点
            设一个固定的大件垃圾投放点
        """),
        praises=_lines("""
            {community}的垃圾分类做得越来越好，环境干净多了
        """),
    ),
    Topic(
        key="fire_inspection",
        label="消防安全检查",
        units=("U17",),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            消防检查<太频繁了|太多了>
            消防检查标准一次一个说法
            消防整改要求太高，小门店根本做不到[，光是整改就花了{n:3-10}万]
            安全检查一个月来好几拨人，表格填了一遍又一遍
            安全生产培训形式主义，签个到就走
            消防验收排期排了{cn:1-3}个月
        """),
        details=_lines("""
            为了迎检专门安排一个人整理台账
        """),
        suggestions=_lines("""
            把检查标准公开，让企业自查
            把多部门的安全检查合并成一次
            对小微企业多指导少处罚
            在培训里多讲点实际操作的内容
        """),
        praises=_lines("""
            应急管理局的专家上门帮我们排查隐患，讲得很专业，受益匪浅
            安全检查的同志很专业，指出的问题都很实在
        """),
    ),
    Topic(
        key="public_security",
        label="治安与反诈宣传",
        units=("U13",),
        audience="any",
        weight=3,
        complaints=_lines("""
            小区附近晚上治安不太好[，一个人走夜路心里发慌]
            {community}最近电动车电瓶老被偷[，报了案到现在也没个结果]
            晚上{road}一带有人飙车，轰鸣声很吵
            报警以后出警太慢，等了{n:20-40}分钟
            诈骗电话和短信<太多了|防不胜防>
            小区门口的监控坏了好久没人修
        """),
        suggestions=_lines("""
            晚上多安排巡逻
            让反诈宣传多进社区、进老年活动室
            在{road}一带多装几个监控
            严厉打击飙车炸街
        """),
        praises=_lines("""
            派出所的民警经常到社区宣传防诈骗，讲得很细
            派出所办户口很快，民警态度也好
            社区民警经常来巡逻，感觉很安全
            反诈民警及时打电话提醒，帮我家老人避免了损失
        """),
    ),
    Topic(
        key="market_supervision",
        label="市场监管与食品安全",
        units=("U02",),
        audience="any",
        weight=3,
        complaints=_lines("""
            食品安全要加强监管
            菜市场有商贩缺斤少两[，打12315反映了好几次]
            学校门口的小摊卖三无食品，没人管
            市场监管来检查，小问题也要罚款[，罚款的钱比一个月的利润还多]
            投诉商家虚假宣传，一个多月了也没回音
            预付卡商家跑路了，会员卡里还有{n:1000-5000}块钱
            个体户年报流程不清楚，被列入了异常名录
            营业执照注销太难了
        """),
        suggestions=_lines("""
            对小商户以教育指导为主
            加大对校园周边食品的检查
            对预付卡消费加强监管
            把营业执照注销流程再简化一点
        """),
        praises=_lines("""
            市场监管局处理投诉很及时，{cn:3-5}天就给我退了款
            办营业执照当天就拿到了，效率很高
        """),
    ),
    Topic(
        key="property_registration",
        label="不动产登记",
        units=("U08",),
        audience="any",
        weight=2,
        complaints=_lines("""
            不动产登记办证太慢
            房子买了{cn:2-5}年了房产证还办不下来[，孩子上学急着用]
            不动产登记的号太难约了，要提前{cn:1-2}周
            办房产证要交的材料太多，还要开各种证明
            继承房产要公证，手续特别复杂
            开发商的原因办不了证，业主投诉无门
        """),
        details=_lines("""
            银行贷款就等着这个证
        """),
        suggestions=_lines("""
            推行交房即交证
            多开放几个办理窗口
            把能线上办的业务都放到线上
            帮我们解决开发商遗留的办证问题
        """),
        praises=_lines("""
            不动产登记中心现在一个小时就能出证，太快了
            交房的时候直接拿到了房产证，很省心
        """),
    ),
    Topic(
        key="praise_attitude",
        label="服务态度好",
        units=_ALL_UNITS,
        audience="any",
        weight=5,
        praises=_lines("""
            服务态度<很好|不错|特别好>
            {unit}的工作人员态度特别好
            工作人员很有耐心，一遍一遍给我解释
            工作人员很热情，主动帮我填表
            {unit}的同志服务很周到
            去{unit}办事，工作人员说话很客气，一点都不推诿
            总体很满意，工作人员很负责
            {unit}的服务比以前好多了
        """),
        praise_details=SERVICE_PRAISE_DETAILS,
    ),
    Topic(
        key="praise_efficiency",
        label="办事效率高",
        units=("U07", "U03", "U02", "U04", "U08", "U13", *STREET_UNITS),
        audience="any",
        weight=4,
        praises=_lines("""
            办事效率<很高|高>
            现在办事快多了
            在{unit}办事一次就办好了，不用来回跑
            {permit}当天就办下来了
            以前要跑好几个部门，现在一个窗口就搞定
            从提交材料到办结只用了{cn:2-3}天
            网上提交以后很快就审核通过了
            {unit}办事效率真的提高了
        """),
        praise_details=SERVICE_PRAISE_DETAILS,
    ),
    Topic(
        key="hotline_12345",
        label="12345热线",
        units=(),
        audience="any",
        weight=3,
        complaints=_lines("""
            打12345没用
            12345打了好几次，每次都说已转交相关部门，然后就没下文了
            问题还没解决就打电话来让我给满意
            12345的回复都是套话
            投诉了{cn:2-4}次，每次回复都一样
        """),
        suggestions=_lines("""
            对12345转办的问题跟踪到底
            等问题解决了再回访，别先让市民打分
        """),
        praises=_lines("""
            12345回复<很及时|挺及时的>
            打了12345，第二天就有人来处理了
            12345热线的工作人员很耐心，问题{cn:2-3}天就解决了
            在12345反映的{problem}很快就解决了，还有回访
        """),
    ),
    Topic(
        key="multi_inspection",
        label="涉企检查多",
        units=("U02", "U06", "U17"),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            涉企检查太多了
            这个月已经接待了{cn:4-6}拨检查
            不同部门查的内容差不多，能不能合并
            检查人员来了就要资料，企业光应付检查就忙不过来
            检查的时候态度生硬，动不动就说要罚
        """),
        details=_lines("""
            财务和行政两个人基本专门应付检查
            {when}一周来了三拨人
        """),
        suggestions=_lines("""
            推行综合查一次
            在检查前提前通知，别影响生产
            给企业减少一些不必要的检查
            推行检查结果互认，别重复查
        """),
    ),
    Topic(
        key="financing",
        label="融资难",
        units=("U01", "U09", "U10"),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            融资难、融资贵
            小企业贷款太难了
            银行要抵押，我们轻资产企业拿不出来
            贷款利息加上担保费，综合成本快到{n:7-10}%了
            {when}申请的贴息贷款到现在还没批
            银企对接会开了不少，真正贷到款的不多
        """),
        details=_lines("""
            订单有了，就是缺流动资金
            设备更新的钱一直凑不齐
        """),
        suggestions=_lines("""
            多搞一些政府性融资担保
            推出针对科技型企业的信用贷款
            扩大应急转贷资金规模
            让银企对接会更有针对性一点
        """),
    ),
    Topic(
        key="talent_policy",
        label="人才公寓与人才政策",
        units=("U04", "U10", "U23"),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            人才公寓太少了
            人才补贴申请条件太高，我们企业的技术骨干都够不上
            人才公寓排队排了{n:6-12}个月
            引进的博士落户手续办了很久
            人才政策宣传不够，员工都不知道
        """),
        suggestions=_lines("""
            多建一些人才公寓
            降低人才认定的门槛，向企业一线技术人员倾斜
            把人才补贴直接发到个人账户
            出一个人才政策的一站式服务平台
        """),
        praises=_lines("""
            人才公寓拎包入住，员工很满意
        """),
    ),
    Topic(
        key="sanitation",
        label="环境卫生与绿化",
        units=("U11", *STREET_UNITS),
        audience="resident",
        weight=3,
        complaints=_lines("""
            环境卫生有待提高
            {road}边上的绿化带好久没修剪了
            {community}门口的路灯坏了{cn:1-2}个多月了
            小区旁边的空地堆满了建筑垃圾
            背街小巷卫生死角太多
            公共厕所太少，也不干净
            河道里漂着垃圾，还有臭味
            人行道上的地砖松动，下雨踩上去溅一身水
        """),
        suggestions=_lines("""
            增加背街小巷的保洁频次
            多建几个干净的公共厕所
            尽快修好坏掉的路灯
            把闲置空地改成口袋公园
        """),
        praises=_lines("""
            {road}改造以后干净漂亮多了
            家门口新建了口袋公园，晚上散步很舒服
            {community}的环境这两年变化很大
        """),
    ),
    Topic(
        key="waterlogging",
        label="雨天积水",
        units=("U05", "U11"),
        audience="any",
        weight=2,
        complaints=_lines("""
            一下雨就积水
            {road}一下大雨就淹，水能没过<膝盖|小腿>
            小区地下车库{when}进水，淹了好几台车
            下水道经常堵，污水冒到路面上
            老小区雨污管网没改造，一楼家家返水
        """),
        details=_lines("""
            每次下雨孩子上学都要绕路
            已经反映{cn:2-4}年了
        """),
        suggestions=_lines("""
            加快老旧管网改造
            在汛期前把下水道疏通一遍
            在积水点安装排水泵
        """),
    ),
    Topic(
        key="public_transport",
        label="公交线路少",
        units=("U12",),
        audience="resident",
        weight=3,
        complaints=_lines("""
            公交车太少了
            {community}附近只有一路公交，等一趟要{n:20-40}分钟
            公交末班车太早，晚上{cn:8-9}点就没车了
            新小区入住{cn:2-3}年了还没通公交
            公交站台没有遮雨棚，下雨只能淋着等
            公交线路绕得太远，坐公交比走路还慢
            地铁站到小区这段没有接驳公交
        """),
        suggestions=_lines("""
            增开到{landmark}的公交线路
            加密高峰时段的班次
            把末班车延后到晚上十点以后
            开通社区微循环公交
        """),
        praises=_lines("""
            新开的社区巴士很方便，老年人出行方便多了
        """),
    ),
    Topic(
        key="wage_arrears",
        label="拖欠工资",
        units=("U04",),
        audience="resident",
        weight=1.5,
        complaints=_lines("""
            工地拖欠工资
            在{road}那边的工地干了{cn:3-6}个月，工资一分没拿到
            劳动仲裁立案后等了很久才开庭
            找劳动监察反映欠薪，让我们自己去找包工头
        """),
        suggestions=_lines("""
            对拖欠农民工工资的企业严厉处罚
            让劳动仲裁的流程快一点
        """),
        praises=_lines("""
            劳动监察大队帮我们讨回了工资，非常感谢
        """),
    ),
    Topic(
        key="overdue_payments",
        label="拖欠企业账款",
        units=("U01", "U05"),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            政府项目的工程款拖了{cn:1-3}年还没结清
            项目验收完了，尾款迟迟不付
            审计结算周期太长，资金压力很大
            有的单位拖着质保金不退
        """),
        details=_lines("""
            我们还欠着材料商和工人的钱
            涉及金额{n:50-300}万左右
        """),
        suggestions=_lines("""
            清理拖欠企业账款，给个明确的时间表
            建立拖欠账款的投诉和督办机制
        """),
    ),
    Topic(
        key="property_management",
        label="物业管理",
        units=("U05", *STREET_UNITS),
        audience="resident",
        weight=2,
        complaints=_lines("""
            物业不作为
            物业费年年收，小区环境一点没改善
            物业公司撤走了，小区没人管
            电梯坏了{cn:2-5}天物业都不修
            小区公共收益从来不公开
            业委会成立不起来，社区也不管
        """),
        suggestions=_lines("""
            加强对物业公司的考核
            帮助老旧小区引进物业
            督促物业公开小区公共收益
            由社区牵头成立业委会
        """),
    ),
    Topic(
        key="community_service",
        label="社区服务",
        units=("U16", *STREET_UNITS),
        audience="resident",
        weight=2,
        complaints=_lines("""
            社区开证明太麻烦
            社区工作人员经常不在办公室
            社区通知都发在群里，老人看不到
            社区活动太少，老人没地方去
            办个居住证明要跑{cn:2-3}趟
        """),
        suggestions=_lines("""
            多组织一些社区文体活动
            让证明能在手机上开
            把社区服务时间延长到晚上
        """),
        praises=_lines("""
            社区工作人员很热心，随叫随到
            社区的志愿服务做得很好，经常组织义诊
            {street}的干部工作很扎实，小区的事都办得很实在
            社区网格员上门登记，非常方便
        """),
    ),
    Topic(
        key="business_environment",
        label="营商环境总体",
        units=(),
        audience="enterprise",
        weight=2,
        complaints=_lines("""
            个别部门还是存在门难进、脸难看的问题
            有些部门之间互相推诿，企业不知道该找谁
        """),
        suggestions=_lines("""
            多听听企业的声音
            定期召开政企座谈会
            保持政策的连续性和稳定性
            对民营企业一视同仁
            统一各部门的服务标准
        """),
        praises=_lines("""
            总体营商环境越来越好
            这几年营商环境改善明显，企业办事顺心多了
            总体比较满意，继续加油
            对区里的营商环境总体满意
        """),
    ),
    Topic(
        key="livelihood_general",
        label="民生总体",
        units=(),
        audience="resident",
        weight=2,
        complaints=_lines("""
            很多问题反映了也不见解决
            有些事情推来推去，没人负责
        """),
        suggestions=_lines("""
            多为老百姓办实事
            多听听群众的意见
            把民生实事项目的进展公开出来
        """),
        praises=_lines("""
            总体挺满意的
            这几年变化很大，越来越好了
            住在江城很幸福
            对政府的工作总体满意
        """),
    ),
)

# Enough simplified→traditional pairs to convert the characters of these tables; a few
# respondents type traditional characters, and the text pipeline must cope with them.
# Derived once with OpenCC (s2tw) over these tables. Characters whose form depends on the word
# (干: 乾淨/幹部, 复: 複印/回覆, 系: 系統/聯繫 …) stay simplified: partial conversion is common.
TRADITIONAL_PAIRS = (
    "万萬专專业業东東两兩严嚴个個临臨为為么麼义義书書买買乱亂产產仅僅从從们們价價众眾优優会會"
    "传傳体體倾傾僵殭兑兌关關兴興养養内內册冊写寫农農决決况況净淨准準减減凑湊几幾击擊则則刚剛"
    "别別办辦务務动動励勵劳勞区區医醫华華协協单單卖賣占佔卫衛厂廠厅廳厉厲压壓厕廁县縣参參双雙"
    "发發变變台臺号號后後听聽启啟员員咨諮响響团團园園围圍图圖场場坏壞块塊坚堅垫墊声聲处處备備"
    "够夠头頭奖獎妇婦学學实實审審宽寬对對导導尘塵尸屍尽儘层層岁歲岗崗布佈师師带帶帮幫广廣库庫"
    "应應开開异異张張强強当當录錄态態总總恳懇愿願户戶扎紮执執扩擴扬揚扰擾报報担擔拨撥挂掛挡擋"
    "挤擠损損换換据據摊攤数數无無旧舊时時显顯术術机機杂雜条條来來构構枫楓标標样樣档檔检檢楼樓"
    "槛檻欢歡气氣汇彙污汙没沒注註洁潔洒灑洼窪浅淺浏瀏涛濤润潤溅濺满滿滨濱滩灘灯燈灵靈点點烟煙"
    "烦煩烧燒热熱牵牽独獨环環现現琐瑣电電监監盖蓋着著码碼砖磚确確离離种種积積税稅稳穩笔筆筑築"
    "简簡类類紧緊红紅约約级級纳納纸紙线線练練组組细細织織经經结結绕繞给給络絡统統继繼续續综綜"
    "绿綠编編缩縮缴繳网網罚罰职職联聯胜勝脑腦脚腳脸臉腾騰苍蒼范範药藥营營虑慮虚虛蝇蠅补補装裝"
    "见見规規视視览覽觉覺计計订訂认認讨討让讓训訓议議记記讲講许許设設访訪证證评評识識诈詐诉訴"
    "诊診话話询詢该該误誤说說请請诺諾课課诿諉谁誰调調谈談谢謝负負财財责責败敗账賬货貨质質贩販"
    "贴貼贵貴贷貸贸貿费費资資赞贊赶趕踪蹤车車转轉软軟轰轟轻輕较較输輸辟闢边邊过過运運还還这這"
    "进進远遠连連迟遲选選逻邏遗遺邻鄰采採释釋针針钟鐘钱錢铁鐵银銀销銷错錯长長门門闪閃问問闲閒"
    "间間闹鬧队隊际際险險随隨隐隱难難静靜页頁项項顺順须須顾顧预預领領频頻题題额額飙飆饭飯饮飲"
    "馆館驳駁验驗骗騙鸣鳴齐齊龄齡里裡划劃签簽并並"
)
TRADITIONAL = str.maketrans(
    {TRADITIONAL_PAIRS[i]: TRADITIONAL_PAIRS[i + 1] for i in range(0, len(TRADITIONAL_PAIRS), 2)}
)
