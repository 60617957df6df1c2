extension DateParsing {
    /// Month names and abbreviations in English, German, French, Spanish, Dutch, Italian and Portuguese.
    static let monthNames: [String] = [
        "january|jan|januar|jänner|jän|janvier|janv|enero|ene|januari|gennaio|gen|janeiro",
        "february|feb|febr|februar|feber|février|févr|fév|febrero|februari|febbraio|fevereiro|fev",
        "march|mar|märz|mär|mrz|mars|marzo|maart|mrt|março",
        "april|apr|avril|avr|abril|abr|aprile",
        "may|mai|mayo|mei|maggio|mag|maio",
        "june|jun|juni|juin|junio|giugno|giu|junho",
        "july|jul|juli|juillet|juil|julio|luglio|lug|julho",
        "august|aug|août|agosto|ago|augustus",
        "september|sep|sept|septembre|septiembre|setiembre|set|settembre|setembro",
        "october|oct|oktober|okt|octobre|octubre|ottobre|ott|outubro|out",
        "november|nov|novembre|noviembre|novembro",
        "december|dec|dezember|dez|décembre|déc|diciembre|dic|dicembre|dezembro",
    ]

    /// Weekday names and abbreviations in the same languages: read and ignored.
    static let weekdayNames = """
        monday|mon|tuesday|tue|tues|wednesday|wed|thursday|thu|thur|thurs|friday|fri|saturday|sat|sunday|sun|\
        montag|mo|dienstag|di|mittwoch|mi|donnerstag|do|freitag|fr|samstag|sonnabend|sa|sonntag|so|\
        lundi|lun|mardi|mar|mercredi|mer|jeudi|jeu|vendredi|ven|samedi|sam|dimanche|dim|\
        lunes|martes|miércoles|mié|jueves|jue|viernes|vie|sábado|sáb|domingo|dom|\
        maandag|ma|dinsdag|woensdag|wo|donderdag|vrijdag|vr|zaterdag|za|zondag|zo|\
        lunedì|martedì|mercoledì|giovedì|gio|venerdì|sabato|sab|domenica|\
        segunda|seg|terça|ter|quarta|qua|quinta|qui|sexta|sex|segunda-feira|terça-feira|quarta-feira|\
        quinta-feira|sexta-feira
        """

    static let monthByKey: [String: Int] = {
        var t: [String: Int] = [:]
        for (i, names) in monthNames.enumerated() {
            for n in names.split(separator: "|") { for k in TextFolding.keys(String(n)) { t[k] = i + 1 } }
        }
        return t
    }()

    static let weekdayKeys: Set<String> = Set(weekdayNames.split(separator: "|").flatMap { TextFolding.keys(String($0)) })
}
