package demo

// Name pools. Surnames carry their pinyin so people get plausible email
// addresses without a transliteration library.
var surnames = []struct{ hans, hant, pinyin string }{
	{"王", "王", "wang"}, {"李", "李", "li"}, {"张", "張", "zhang"}, {"刘", "劉", "liu"}, {"陈", "陳", "chen"},
	{"杨", "楊", "yang"}, {"黄", "黃", "huang"}, {"赵", "趙", "zhao"}, {"吴", "吳", "wu"}, {"周", "周", "zhou"},
	{"徐", "徐", "xu"}, {"孙", "孫", "sun"}, {"马", "馬", "ma"}, {"朱", "朱", "zhu"}, {"胡", "胡", "hu"},
	{"郭", "郭", "guo"}, {"何", "何", "he"}, {"林", "林", "lin"}, {"高", "高", "gao"}, {"罗", "羅", "luo"},
	{"郑", "鄭", "zheng"}, {"梁", "梁", "liang"}, {"谢", "謝", "xie"}, {"宋", "宋", "song"}, {"唐", "唐", "tang"},
	{"许", "許", "xu"}, {"韩", "韓", "han"}, {"冯", "馮", "feng"}, {"邓", "鄧", "deng"}, {"曹", "曹", "cao"},
	{"彭", "彭", "peng"}, {"曾", "曾", "zeng"}, {"萧", "蕭", "xiao"}, {"田", "田", "tian"}, {"董", "董", "dong"},
	{"潘", "潘", "pan"}, {"袁", "袁", "yuan"}, {"蔡", "蔡", "cai"}, {"蒋", "蔣", "jiang"}, {"余", "余", "yu"},
	{"叶", "葉", "ye"}, {"程", "程", "cheng"}, {"魏", "魏", "wei"}, {"苏", "蘇", "su"}, {"吕", "呂", "lv"},
	{"丁", "丁", "ding"}, {"沈", "沈", "shen"}, {"洪", "洪", "hong"}, {"廖", "廖", "liao"}, {"邱", "邱", "qiu"},
}

var givenHans = []string{
	"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞", "平", "刚",
	"秀英", "志强", "晓燕", "美玲", "建华", "子涵", "浩然", "欣怡", "梓萱", "宇轩", "思远", "雨桐", "佳怡", "俊杰", "文博",
	"一鸣", "晨曦", "嘉怡", "雅婷", "家豪", "诗涵", "海燕", "丽华", "国强", "春梅", "晓东", "婷婷", "玉兰", "志刚", "小红",
}

var givenHant = []string{
	"怡君", "雅婷", "家豪", "志明", "淑芬", "冠宇", "宗翰", "詩涵", "佳穎", "俊傑", "美玲", "承恩", "郁婷", "柏翰", "思妤",
	"彥廷", "欣妤", "宜蓁", "建宏", "美惠", "信宏", "雅雯", "品妤", "冠廷",
}

var englishFirst = []string{
	"Emily", "James", "Sophia", "Michael", "Olivia", "Daniel", "Grace", "David", "Chloe", "Ryan", "Hannah", "Kevin",
	"Jessica", "Brian", "Amanda", "Jason", "Rachel", "Eric", "Linda", "Mark", "Laura", "Thomas", "Anna", "Peter",
}

var englishLast = []string{
	"Smith", "Johnson", "Brown", "Miller", "Wilson", "Taylor", "Anderson", "Martin", "Lee", "Walker", "Young", "King",
	"Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Chen", "Wong", "Tan", "Lim", "Müller", "Dubois",
}

// aliases are the English names agents in Chinese centers commonly use.
var aliases = []string{
	"Amy", "Tina", "Jack", "Leo", "Coco", "Vivian", "Eason", "Sunny", "Iris", "Alan", "Bella", "Cindy", "Derek", "Elsa",
	"Frank", "Gina", "Helen", "Ivan", "Joyce", "Ken", "Lily", "Mia", "Nina", "Oscar", "Peggy", "Queenie", "Rita", "Sam",
	"Tony", "Una", "Vicky", "Wendy", "Yoyo", "Zoe", "Aaron", "Bruce", "Carrie", "Dora", "Echo", "Fiona", "Gavin", "Hank",
	"Ivy", "Jenny", "Kelly", "Lucas", "Max", "Nancy", "Owen", "Penny",
}

var companies = []string{
	"上海明德贸易有限公司", "深圳鼎盛科技股份有限公司", "杭州云帆网络科技有限公司", "广州恒信物流有限公司",
	"北京博远咨询有限公司", "成都天府文旅集团", "苏州精工制造有限公司", "武汉长江医药有限公司",
	"南京金陵会展有限公司", "厦门海峡电子有限公司",
}

var companiesEN = []string{"Brightline Consulting (Shanghai) Ltd.", "Nordic Design Asia Ltd.", "Pacific Freight Services Co."}

var cities = []string{"上海", "北京", "广州", "深圳", "杭州", "成都", "武汉", "南京", "苏州", "西安", "重庆", "天津"}

var citiesEN = []string{"Shanghai", "Beijing", "Guangzhou", "Shenzhen", "Hangzhou", "Chengdu", "Wuhan", "Nanjing"}

var platePrefixes = []string{"沪A", "沪B", "京N", "粤B", "浙A", "川A", "鄂A", "苏E"}

var emailDomains = []string{"example.com", "example.net", "example.org", "mail.example", "qq.example", "163.example"}
