/**
 * The Chinese names operators and leaders read, for the codes the platform stores. Used by the
 * statistics (labels beside codes) and the CSV export (Excel users read labels, not codes).
 */
export const statusLabels: Record<string, string> = {
  received: '已接收',
  triage: '待分拣',
  assigned: '已分派',
  accepted: '已受理',
  mediating: '调解中',
  resolved: '已化解',
  unresolved: '未化解',
  closed: '已结案',
};

export const channelLabels: Record<string, string> = {
  hotline_12345: '12345热线',
  wechat: '微信（龙岩e调解）',
  court: '法院诉前调解',
};

export const categoryLabels: Record<string, string> = {
  marriage_family: '婚姻家庭纠纷',
  neighborhood: '邻里纠纷',
  housing_homestead: '房屋宅基地纠纷',
  contract: '合同纠纷',
  business: '生产经营纠纷',
  damages: '损害赔偿纠纷',
  land_forest: '山林土地纠纷',
  land_acquisition: '征地拆迁纠纷',
  environment: '环境污染纠纷',
  labor: '劳动争议纠纷',
  consumer: '消费纠纷',
  medical: '医疗纠纷',
  traffic: '道路交通事故纠纷',
  property_mgmt: '物业纠纷',
  other: '其他纠纷',
};

export const severityLabels: Record<string, string> = { normal: '一般', major: '重大' };

/** 紧急程度 as the 12345 hotline rates a work order. */
export const urgencyLabels: Record<string, string> = { normal: '一般', urgent: '紧急', very_urgent: '特急' };

export const levelLabels: Record<string, string> = {
  township: '乡镇书记',
  county: '县（市、区）委书记',
  city: '市委书记',
};

export const outcomeLabels: Record<string, string> = {
  mediated: '调解成功',
  not_mediated: '调解不成',
  withdrawn: '撤回',
};

export const referredToLabels: Record<string, string> = {
  litigation: '诉讼',
  arbitration: '仲裁',
  other: '其他',
};

export const departmentKindLabels: Record<string, string> = {
  judicial_office: '司法所',
  police_station: '派出所',
  public_security_bureau: '公安局',
  court: '法院',
  labor_inspection: '劳动保障监察',
  governance_center: '社会治理综合指挥中心',
  petition_bureau: '信访局',
  housing_construction: '住建局',
  market_regulation: '市场监管局',
  health_commission: '卫健委',
  natural_resources: '自然资源局',
  forestry: '林业局',
  traffic_police: '交警',
  township_government: '乡镇人民政府',
  ecology_environment: '生态环境局',
  women_federation: '妇联',
  justice_bureau: '司法局',
  governance_office: '综治办',
};

export const labelOf = (labels: Record<string, string>, code: string | null | undefined) =>
  code ? (labels[code] ?? code) : '';
