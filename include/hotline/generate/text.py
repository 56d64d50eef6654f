"""Plausible Chinese content and fake (but well-formed) personal data.

Everything is drawn from the ``random.Random`` passed in, so the output is deterministic for a seed. The city's
vocabulary (streets, communities, companies) comes from the spec's ``places``; the templates are generic.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Sequence
from typing import Any

from hotline.generate.spec import Places, Spec

# ------------------------------------------------------------------------------------------ personal data
SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜"
    "戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
    "马韩才措卓"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英玉兰萍毅浩宇鑫波斌宁婷华红建国建华志强海燕"
    "春梅晓东永刚文彬德明玉珍卓玛才让多杰拉毛扎西措吉索南尼玛桑吉晓燕丽娟国庆晨阳子涵欣怡梓轩"
)
# numbering segments of Chinese mobile operators (1[3-9]x)
MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "134",
    "135",
    "136",
    "137",
    "138",
    "139",
    "147",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "166",
    "173",
    "175",
    "176",
    "177",
    "178",
    "180",
    "181",
    "182",
    "183",
    "184",
    "185",
    "186",
    "187",
    "188",
    "189",
    "191",
    "193",
    "195",
    "198",
    "199",
)


def person_name(rng: random.Random) -> str:
    r = rng.random
    s = SURNAMES[int(r() * len(SURNAMES))]
    x = r()
    if x < 0.45:
        return s + ("先生" if r() < 0.5 else "女士")
    if x < 0.5:
        return "匿名"
    if r() < 0.4:
        return s + GIVEN[int(r() * len(GIVEN))]
    return s + GIVEN[int(r() * len(GIVEN))] + GIVEN[int(r() * len(GIVEN))]


def mobile(rng: random.Random) -> str:
    r = rng.random
    return MOBILE_PREFIXES[int(r() * len(MOBILE_PREFIXES))] + f"{int(r() * 100_000_000):08d}"


class Vocabulary:
    """A city's words, with generic fall-backs."""

    def __init__(self, spec: Spec):
        p: Places = spec.places
        city = p.city or spec.city or "本市"
        self.province = p.province
        self.city = city
        self.areas = p.areas or ("城东街道", "城西街道", "城南街道", "城北街道")
        self.streets = p.streets or ("人民路", "解放路", "建设路", "中山路", "和平路", "新华路", "光明路", "胜利路")
        self.communities = p.communities or ("幸福小区", "阳光花园", "和谐家园", "锦绣园", "金色家园", "福苑小区")
        self.villages = p.villages or ("城郊村", "新农村", "红星村", "和平村")
        self.companies = p.companies or ("某建筑工程公司", "某劳务派遣公司", "某商贸有限公司", "某物流公司")
        self.property = p.property_companies or ("某物业公司", "安居物业", "和美物业")
        names = [d.name for d in spec.all_departments]
        self.offices = tuple(names) + (
            "公安局户籍科窗口",
            "不动产中心窗口",
            "政务服务中心",
            "社保大厅",
            "医保窗口",
            "供水公司",
            "供电公司",
            "热力公司",
            "车管所",
        )
        self.dept_names = tuple(names)
        self.plate = p.plate_prefix or "某"

    def address(self, rng: random.Random) -> str:
        r = rng.random
        x = r()
        head = self.province + self.city
        if x < 0.12:
            return f"{head}{_pick(r, self.villages)}{int(r() * 12) + 1}社{int(r() * 80) + 1}号"
        if x < 0.25:
            return f"{head}{_pick(r, self.areas)}{_pick(r, self.streets)}{int(r() * 300) + 1}号"
        return (
            f"{head}{_pick(r, self.streets)}{_pick(r, self.communities)}{int(r() * 36) + 1}号楼"
            f"{int(r() * 6) + 1}单元{int(r() * 18) + 1}{int(r() * 4) + 1:02d}室"
        )


def _pick(r: Callable[[], float], seq: Sequence[str]) -> str:
    return seq[int(r() * len(seq))]


# ---------------------------------------------------------------------------------------------- content
# Placeholders: {c} community, {s} street, {b} building, {u} unit, {r} room, {co} company, {pm} property company,
# {o} office, {a} affair, {n} small number, {m} money, {d} days, {t} temperature, {v} village, {p} plate,
# {city} city, {dept} a department.
AFFAIRS = (
    "城市卫生",
    "消费纠纷",
    "物业服务",
    "办理医保",
    "社保缴纳",
    "不动产权证办理",
    "补办身份证",
    "水电暖燃气缴费",
    "营业执照办理",
    "户口迁移",
    "居住证办理",
    "公积金提取",
    "退休手续",
    "残疾证办理",
    "驾驶证换证",
)

TEMPLATES: dict[str, tuple[str, ...]] = {
    "联系方式查询": (
        "来电咨询{o}的联系电话，想办理{a}相关事宜。",
        "来电人询问{o}的办公电话及办公地址，需要办理{a}，已告知。",
        "咨询{o}窗口电话，来电人称要去办理{a}，担心白跑一趟，想先打电话问清楚需要带哪些材料。",
        "来电人想联系{o}，反映“{a}”的问题，请提供联系方式。",
    ),
    "政策咨询": (
        "来电咨询{a}的相关政策，想了解需要满足什么条件，办理流程是怎样的。",
        "咨询今年{a}的补贴政策是否有变化，来电人称在网上看到的说法不一致。",
        "来电人询问灵活就业人员{a}的缴费标准和缴费方式。",
    ),
    "办事指南": (
        "来电咨询{a}需要准备哪些材料，在哪里办理，能否网上办理。",
        "来电人询问在“{city}政务服务”小程序上办理{a}的具体步骤，操作到一半提示“信息不全”。",
        "咨询{a}的办理时限，来电人称已提交材料{d}天，还未收到结果。",
    ),
    "供暖": (
        "{c}{b}号楼{u}单元住户反映，家中暖气温度只有{t}度左右，达不到供暖标准，联系{pm}多次未解决，请求协调处理。",
        "来电人反映{c}自供暖以来暖气一直不热，家中有老人和小孩，室温只有{t}度，物业称“已经上报”，但迟迟没有人来处理。",
        "{s}{c}{b}号楼住户反映暖气管道漏水，已影响楼下住户，联系供热单位称要排队维修，请求尽快处理。",
        "来电人反映{c}{b}号楼供暖时长不足，每天晚上{n}点以后暖气就不热了，要求按标准供暖。",
    ),
    "物业服务": (
        "{c}住户反映{pm}不作为，小区内私家车、电动车乱停乱放，垃圾长期无人清运，多次反映无果。",
        "来电人反映因未缴纳物业费，{pm}限制其水电费充值金额，认为物业做法不合理，请求相关部门处理。",
        "{c}{b}号楼业主反映楼道灯损坏{d}天无人维修，物业称“没有经费”，请求督促物业整改。",
        "来电人反映{c}物业服务质量差，物业费却上涨，业主意见很大，要求公开物业费收支情况。",
    ),
    "电梯": (
        "{c}{b}号楼{u}单元电梯故障频发，本月已停运{n}次，困人事件时有发生，请求督促物业尽快维修。",
        "来电人反映{c}电梯停运{d}天，楼内有行动不便的老人，物业称在等配件，请求协调处理。",
    ),
    "供水": (
        "{s}{c}停水{d}天，未提前通知，居民生活受到影响，请求尽快恢复供水。",
        "来电人反映{c}自来水水质发黄、有异味，担心影响身体健康，请求检测处理。",
        "{c}{b}号楼水压不足，高层住户基本用不上水，请求供水单位排查。",
    ),
    "供电": (
        "{s}{c}一带频繁停电，今天已停电{n}次，家中电器受损，请求供电部门排查原因。",
        "来电人反映{v}线路老化，电压不稳，晚上灯光忽明忽暗，请求改造线路。",
        "{c}{b}号楼电表箱损坏，存在安全隐患，请求尽快维修。",
    ),
    "燃气": (
        "来电人反映{c}{b}号楼燃气表故障，充值后无法使用，联系燃气公司营业厅称要等{d}天，请求尽快处理。",
        "{s}{c}附近有燃气异味，担心存在泄漏隐患，请求燃气公司派人排查。",
        "来电人反映燃气公司上门安检时要求更换“指定品牌”的软管，收费偏高，对此有异议。",
    ),
    "路灯": (
        "{s}与{s2}交叉口附近路灯不亮已有{d}天，夜间出行不便，存在安全隐患，请求维修。",
        "来电人反映{c}门口路段路灯损坏，晚上一片漆黑，请求相关部门尽快修复。",
    ),
    "薪资拖欠": (
        "来电人反映在{co}务工，负责人拖欠其{n}个月工资共计{m}元，多次讨要无果，请求帮助追讨。",
        "来电人称与{n}名工友在{co}干活，未签订劳动合同，工程结束后老板以“甲方没给钱”为由拒绝支付劳动报酬，共计{m}元。",
        "来电人反映在{co}做临时工，对方承诺按月结算工资，现已拖欠{m}元，临近年底，请求相关部门督促支付。",
        "来电人反映{co}拖欠农民工工资，涉及{n}人、金额约{m}元，已向劳动监察反映，但至今未解决。",
    ),
    "社会保障": (
        "来电人咨询养老保险断缴{n}年后如何补缴，社保窗口称需要原单位开具证明，原单位已注销。",
        "来电人反映其退休金本月未按时到账，询问原因。",
        "来电人反映申请的低保至今未审批下来，家庭生活困难，请求尽快办理。",
    ),
    "教育": (
        "来电人反映{s}某学校要求学生统一购买教辅资料，每人{m}元，家长对此有意见。",
        "来电人咨询孩子转学入学的相关政策，因工作调动刚到{city}，不知道去哪所学校报名。",
        "来电人反映{c}附近校外培训机构违规收费，退费困难。",
    ),
    "医疗卫生": (
        "来电人反映在某医院就诊时排队时间过长，医生态度不好，请求相关部门核实处理。",
        "来电人反映{s}某诊所收费不透明，一次输液收费{m}元，怀疑存在乱收费情况。",
        "来电人咨询异地就医备案的办理方式，并反映医保报销比例与宣传不一致。",
    ),
    "民政": (
        "来电人反映{c}一位独居老人生活困难，无人照料，请求社区和民政部门关注。",
        "来电人咨询高龄补贴的申领条件和办理地点。",
    ),
    "住房保障": (
        "来电人咨询公租房申请条件，已提交申请{d}天，想了解审核进度。",
        "来电人反映所住公租房{b}号楼屋顶漏水，多次报修未处理，请求督促维修。",
    ),
    "市容环境": (
        "{s}{c}门口流动摊贩占道经营，油烟、垃圾严重影响周边环境，请求整治。",
        "来电人反映{s}沿线垃圾桶满溢，多日无人清理，气味很大。",
        "{c}周边建筑垃圾随意堆放，扬尘严重，请求相关部门清理。",
    ),
    "市政设施": (
        "{s}路面出现坑洼，下雨后积水严重，车辆通行困难，请求修复。",
        "来电人反映{s}{c}门口井盖缺失，存在安全隐患，请求尽快处理。",
        "{s}人行道地砖破损、翘起，老人行走不便，请求维修。",
    ),
    "房屋质量": (
        "来电人反映所购{c}新房墙体开裂、卫生间渗水，开发商推诿不予维修，请求相关部门处理。",
        "{c}业主反映房屋交付{n}年仍未办理不动产权证，开发商称“手续正在办理”。",
    ),
    "违章建筑": (
        "来电人反映{c}{b}号楼一楼住户私自扩建院墙、搭建彩钢房，侵占公共绿地，请求查处。",
        "{s}某商铺违规搭建雨棚，影响行人通行，请求相关部门处理。",
    ),
    "出租车": (
        "来电人反映乘坐车牌号为{p}的出租车时，司机拒绝打表、拼客，并收取{n}0元车费，请求处理。",
        "来电人反映火车站附近出租车拒载、议价现象严重，请求整治。",
    ),
    "公交": (
        "来电人反映{n}路公交车发车间隔过长，冬季在站台等车{d}0分钟以上，请求增加班次。",
        "来电人反映{n}路公交车司机未到站就关门驶离，服务态度差，请求处理。",
    ),
    "道路交通": (
        "{s}与{s2}交叉口红绿灯故障，车辆通行混乱，请求尽快维修。",
        "来电人反映{s}大货车夜间超速行驶，噪音大且存在安全隐患，请求交警加强管理。",
    ),
    "停车管理": (
        "来电人反映{c}周边车辆乱停乱放，堵塞消防通道，请求处理。",
        "来电人反映{s}路边停车收费员收费不规范，未出具票据。",
    ),
    "消费维权": (
        "来电人反映在{s}某商店购买的商品存在质量问题，商家拒绝退换，请求维权。",
        "来电人反映办理的宽带套餐被擅自变更，每月多扣费{n}0元，客服称“系统自动升级”，请求处理。",
        "来电人反映在{s}某健身房办卡后商家关门跑路，涉及金额{m}元，请求相关部门处理。",
    ),
    "食品安全": (
        "来电人反映在{s}某餐馆就餐后出现腹泻症状，怀疑食材不新鲜，请求相关部门检查。",
        "来电人反映{c}附近超市销售过期食品，请求查处。",
    ),
    "价格监管": (
        "来电人反映{s}某加油站标价与实际收费不一致。",
        "来电人反映{c}附近菜市场蔬菜价格明显偏高，怀疑哄抬物价。",
    ),
    "治安管理": (
        "来电人反映{c}{b}号楼有人深夜聚集喧哗、酗酒闹事，严重影响居民休息，请求处理。",
        "来电人反映{s}一带电动车被盗情况频发，请求加强巡逻。",
    ),
    "户籍管理": (
        "来电人咨询补办身份证、户口迁入{city}需要的材料和办理地点。",
        "来电人反映在户籍窗口办理业务时被告知需要“开具无犯罪记录证明”，对此有疑问。",
    ),
    "法律服务": (
        "来电人咨询民间借贷纠纷如何起诉，对方借款{m}元至今未还。",
        "来电人反映法院判决已生效{n}个月，对方仍未履行，请求尽快执行。",
    ),
    "噪声污染": (
        "{c}附近工地夜间施工，噪音很大，已持续{d}天，严重影响居民休息，请求查处。",
        "来电人反映{s}某商铺在门口用高音喇叭促销，噪声扰民。",
    ),
    "大气污染": (
        "来电人反映{s}附近某企业烟囱冒黑烟，气味刺鼻，请求环保部门检查。",
        "来电人反映{v}有人焚烧垃圾，烟雾很大。",
    ),
    "水污染": ("来电人反映{v}附近有企业向河道排放污水，水体发黑发臭，请求查处。",),
    "农村土地": (
        "来电人反映{v}土地承包经营权纠纷，村委会调解无果，请求相关部门处理。",
        "来电人反映{v}有人在耕地上违规建房，请求查处。",
    ),
    "农业补贴": ("来电人咨询今年的耕地地力保护补贴什么时候发放，发放标准是多少。",),
    "畜牧养殖": ("来电人反映{v}养殖场气味很大，粪污处理不当，影响周边居民生活。",),
    "不动产登记": (
        "来电人咨询不动产权证办理进度，已提交材料{d}天未取得证书。",
        "来电人反映办理不动产登记时被要求补充材料，但窗口说法前后不一。",
    ),
    "林草管理": ("来电人反映{s}绿化带树木被人为砍伐，请求相关部门查处。",),
    "旅游服务": (
        "来电人反映在某景区游玩时被强制消费，请求处理。",
        "来电人咨询{city}冬季旅游线路及景区开放时间。",
    ),
    "文体活动": (
        "来电人咨询{city}体育馆冬季开放时间和收费标准。",
        "来电人反映{c}广场舞音响声音过大，影响周边居民。",
    ),
    "安全生产": (
        "来电人反映{s}某小作坊存在安全隐患，工人未佩戴防护用品。",
        "来电人反映{co}施工现场安全防护不到位，请求相关部门检查。",
    ),
    "消防安全": (
        "来电人反映{c}楼道内堆放大量杂物，电动车在楼道充电，存在火灾隐患。",
        "来电人反映{s}某商场消防通道被占用、安全出口上锁。",
    ),
}
PURPOSE_TAILS: dict[str, tuple[str, ...]] = {
    "咨询": ("请予解答。", "", "希望得到答复。"),
    "求助": ("请求帮助解决。", "请相关部门尽快处理。", "来电人情绪较为着急。"),
    "投诉": (
        "来电人对此不满，要求给个说法。",
        "请求相关部门核实处理并回复。",
        "来电人表示已多次反映，问题一直没有解决。",
    ),
    "建议": ("来电人建议相关部门完善措施，方便群众。", "希望相关部门采纳。"),
    "表扬": ("来电人对相关工作人员的热心帮助表示感谢，特来电表扬。",),
    "其他": ("", "来电人未说明具体诉求。"),
}
FOLLOW_UPS = (
    "补充：来电人称之前已反映过，工单编号记不清了。",
    "补充：来电人要求办理结果电话告知。",
    "补充：来电人表示如问题不解决将继续反映。",
    "补充：来电人留有备用电话，白天可能无法接听。",
)
INVALID_TEXTS = (
    "无声电话",
    "来电无声，多次询问无应答后挂断。",
    "骚扰电话，来电人言语辱骂后挂断。",
    "系统测试",
    "来电人拨错电话。",
    "来电人未说明诉求即挂断。",
    "重复来电，已告知前次工单办理进度。",
)
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"


class ContentMaker:
    """Fills the templates; each template is compiled once into literal parts and placeholder fillers."""

    def __init__(self, vocab: Vocabulary):
        self.v = vocab
        v = vocab
        letters = LETTERS
        self.fillers = {
            "c": lambda r: _pick(r, v.communities),
            "s": lambda r: _pick(r, v.streets),
            "s2": lambda r: _pick(r, v.streets),
            "b": lambda r: str(int(r() * 30) + 1),
            "u": lambda r: str(int(r() * 6) + 1),
            "r": lambda r: str(int(r() * 1800) + 101),
            "co": lambda r: _pick(r, v.companies),
            "pm": lambda r: _pick(r, v.property),
            "o": lambda r: _pick(r, v.offices),
            "a": lambda r: _pick(r, AFFAIRS),
            "n": lambda r: str(int(r() * 8) + 2),
            "m": lambda r: str((int(r() * 120) + 3) * 500),
            "d": lambda r: str(int(r() * 20) + 2),
            "t": lambda r: str(int(r() * 8) + 10),
            "v": lambda r: _pick(r, v.villages),
            "p": lambda r: f"{v.plate}{letters[int(r() * 23)]}{int(r() * 9000) + 1000}",
            "city": lambda r: v.city,
            "dept": lambda r: _pick(r, v.dept_names),
        }
        # (l1, l2) -> (compiled templates for a question, for the rest)
        self._compiled: dict[tuple[str, str], tuple[tuple[Any, ...], tuple[Any, ...]]] = {}

    def _compile(self, template: str) -> tuple[Any, ...]:
        parts = []
        for literal, name, _, _ in string.Formatter().parse(template):
            parts.append((literal, self.fillers[name] if name is not None else None))
        return tuple(parts)

    def _templates(self, l1: str, l2: str, ask: bool) -> tuple[Any, ...]:
        """Compiled templates of a category; questions (咨询) and the rest (反映) when both kinds exist."""
        key = (l1, l2)
        got = self._compiled.get(key)
        if got is None:
            t = TEMPLATES.get(l2) or (
                f"来电人反映{{c}}一带存在{l2}方面的问题，希望{l1}相关部门尽快核实处理。",
                f"来电人咨询{l2}相关事宜，想了解具体的办理流程和政策规定。",
                f"来电人反映有关“{l2}”的问题，已持续{{d}}天，请求相关部门处理。",
            )
            asks = tuple(self._compile(x) for x in t if "咨询" in x or "询问" in x)
            tells = tuple(self._compile(x) for x in t if not ("咨询" in x or "询问" in x))
            got = self._compiled[key] = (asks or tells, tells or asks)
        return got[0] if ask else got[1]

    def content(self, rng: random.Random, l1: str, l2: str, purpose: str, online: bool = False) -> str:
        r = rng.random
        if not l1:
            return _pick(r, INVALID_TEXTS)
        tpls = self._templates(l1, l2, purpose == "咨询")
        out = []
        for literal, fill in tpls[int(r() * len(tpls))]:
            out.append(literal)
            if fill is not None:
                out.append(fill(r))
        tails = PURPOSE_TAILS.get(purpose, ("",))
        out.append(tails[int(r() * len(tails))])
        x = r()
        if x < 0.08:
            out.append("\n" + _pick(r, FOLLOW_UPS))
        elif x < 0.11:
            out.append('来电人原话："这个问题到底归谁管？"' if not online else '网民留言称："这个问题到底归谁管？"')
        text = "".join(out)
        if online:  # transferred from a website or app: a netizen's message, not a call
            text = text.replace("特来电表扬", "特留言表扬").replace("来电人", "网民").replace("来电", "网民")
        return text
