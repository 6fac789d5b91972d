# Vietnamese administrative style: "ngày 30 tháng 9 năm 2023" (Decree 30/2020/NĐ-CP).
DATE_FORMAT = r"\n\gà\y j \t\há\n\g n \nă\m Y"
DATETIME_FORMAT = r"H:i, \n\gà\y j \t\há\n\g n \nă\m Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "H:i d/m/Y"
DATE_INPUT_FORMATS = ["%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y"]
DATETIME_INPUT_FORMATS = ["%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
FIRST_DAY_OF_WEEK = 1
NUMBER_GROUPING = 3
