"""ruletable.py - the ~200 content rules of the benchmark, as data.

Each rule: (NAME, target, pattern, flags, score, category, description,
examples). target is one of the keys of rules.TARGETS; the pattern is PCRE2
(and Python re) syntax with no literal blanks (\\s is used instead) and "/"
written as "\\/". examples are texts the rule must match: the spam generator
puts them into spam messages, and rules.check_table() tests every pattern on
its examples. category groups rules by kind of spam (the spam generator picks
one per message); "any" rules fit every kind.

Scores: a typical spam message carries 4-7 of these (10-25 points: quarantine
at 10, reject at 15 in the stock policy); ham text (words.txt) matches none
of the heavy ones.
"""

# fmt: off
SUBJECT = [
    ("SUBJ_LOTTERY_WIN", r"you\s(have\s)?won\b.{0,40}(lottery|prize|jackpot|draw)", "i", 4.0, "lottery", "Lottery win in Subject", ["You have won the Euro lottery draw", "You won a prize draw today"]),
    ("SUBJ_WINNER_NOTICE", r"\b(winner|winning)\s(notification|notice|announcement)\b", "i", 3.5, "lottery", "Winner notification", ["Official Winner Notification"]),
    ("SUBJ_CLAIM_PRIZE", r"\bclaim\s(your\s)?(prize|reward|winnings|payout)\b", "i", 3.5, "lottery", "Claim your prize", ["Claim your prize before Friday"]),
    ("SUBJ_CONGRATS_SELECTED", r"congratulations.{0,30}\b(selected|chosen|approved)\b", "i", 3.0, "lottery", "Congratulations, you were selected", ["Congratulations! You have been selected"]),
    ("SUBJ_GIFT_CARD", r"\b(free|exclusive)\s\$?\d{2,4}\s(gift\s?card|voucher)\b", "i", 3.0, "prize", "Free gift card in Subject", ["Your free $500 gift card is waiting", "Exclusive 100 voucher"]),
    ("SUBJ_ACCOUNT_SUSPENDED", r"\baccount\s(has\sbeen\s|is\s|was\s)?(suspended|locked|disabled|on\shold)\b", "i", 4.0, "phish", "Account suspended in Subject", ["Your account has been suspended", "Account locked: action required"]),
    ("SUBJ_VERIFY_ACCOUNT", r"\b(verify|confirm|validate)\s(your\s)?(account|identity|mailbox|details)\b", "i", 3.5, "phish", "Verify your account in Subject", ["Please verify your account", "Confirm your identity"]),
    ("SUBJ_UNUSUAL_SIGNIN", r"\bunusual\s(sign-?in|login|activity)\b", "i", 3.0, "phish", "Unusual sign-in activity", ["Unusual sign-in activity detected"]),
    ("SUBJ_PASSWORD_EXPIRES", r"\bpassword\s(will\s)?(expire[sd]?|expiring)\b", "i", 3.0, "phish", "Password expiry notice", ["Your password expires today"]),
    ("SUBJ_MAILBOX_FULL", r"\bmailbox\s(is\s)?(full|over\s?quota|almost\sfull)\b", "i", 3.0, "phish", "Mailbox quota scare", ["Mailbox almost full"]),
    ("SUBJ_INVOICE_OVERDUE", r"\b(overdue|unpaid|outstanding)\s(invoice|payment|balance)\b", "i", 2.0, "phish", "Overdue invoice in Subject", ["Overdue invoice #77812"]),
    ("SUBJ_PAYMENT_FAILED", r"\bpayment\s(has\s)?(failed|declined)\b", "i", 2.5, "phish", "Payment failed notice", ["Payment declined - update now"]),
    ("SUBJ_DELIVERY_FAILED", r"\b(parcel|package|shipment)\s.{0,20}(could\snot\sbe\sdelivered|on\shold|awaiting\spayment)\b", "i", 3.0, "phish", "Parcel on hold scam", ["Your parcel could not be delivered"]),
    ("SUBJ_VIAGRA", r"\b(v[i1!]agra|c[i1!]al[i1!]s|levitra|kamagra)\b", "i", 4.5, "pharma", "Pharma names in Subject", ["Cheap V1agra here", "Cialis 80% off"]),
    ("SUBJ_PHARMACY", r"\b(online|canadian|discount)\spharmacy\b", "i", 3.5, "pharma", "Online pharmacy", ["Canadian pharmacy deals"]),
    ("SUBJ_WEIGHT_LOSS", r"\b(lose|burn)\s\d{1,3}\s?(lbs|pounds|kg)\b", "i", 3.0, "pharma", "Weight loss promise", ["Lose 20 lbs in 3 weeks"]),
    ("SUBJ_MEDS_NO_RX", r"\bno\s(prescription|rx)\s(needed|required)\b", "i", 3.5, "pharma", "No prescription needed", ["Meds - no prescription needed"]),
    ("SUBJ_CRYPTO_PROFIT", r"\b(bitcoin|btc|crypto|ethereum)\b.{0,30}\b(profit|returns?|earn|doubl\w*)\b", "i", 3.0, "crypto", "Crypto profit in Subject", ["Bitcoin profit of 400% daily"]),
    ("SUBJ_WALLET_ACTION", r"\bwallet\s(suspended|verification|sync|validation)\b", "i", 3.5, "crypto", "Crypto wallet phish", ["Wallet verification required"]),
    ("SUBJ_LOAN_APPROVED", r"\b(loan|credit)\s(is\s)?(pre-?)?approved\b", "i", 3.0, "loan", "Loan approved in Subject", ["Your loan is pre-approved"]),
    ("SUBJ_WORK_FROM_HOME", r"\b(work|earn)\sfrom\shome\b", "i", 2.5, "job", "Work from home", ["Earn from home today"]),
    ("SUBJ_EARN_PER_DAY", r"\bearn\s\$?\d{3,5}\s?(\/|per\s|a\s)(day|week)\b", "i", 3.5, "job", "Earn $X per day", ["Earn $900 per day"]),
    ("SUBJ_HOT_SINGLES", r"\b(hot|lonely|local)\s(singles|girls|women)\b", "i", 4.0, "dating", "Dating spam", ["Lonely women near you"]),
    ("SUBJ_URGENT", r"^\W{0,3}(urgent|important|action\srequired|immediate\saction)\b", "i", 1.5, "any", "Subject opens with urgency", ["URGENT: reply needed", "Action required: confirm now"]),
    ("SUBJ_FINAL_NOTICE", r"\b(final|last)\s(notice|warning|reminder)\b", "i", 2.0, "any", "Final notice", ["Final notice before closure"]),
    ("SUBJ_ACT_NOW", r"\b(act|order|buy)\snow\b", "i", 1.5, "any", "Act now", ["Act now - offer ends"]),
    ("SUBJ_LIMITED_TIME", r"\blimited[\s-]time\s(only|offer)\b", "i", 1.5, "any", "Limited time offer", ["Limited time offer inside"]),
    ("SUBJ_PERCENT_OFF", r"\b[5-9]\d\s?%\s?off\b", "i", 1.0, "any", "Big discount in Subject", ["Today only: 80% off"]),
    ("SUBJ_FREE_UPPER", r"\bFREE\b", "", 1.5, "any", "FREE in capitals", ["FREE shipping today"]),
    ("SUBJ_CAPITALS", r"^[^a-z]*[A-Z]{4,}[^a-z]*[A-Z]{4,}[^a-z]*$", "", 1.5, "any", "Subject all in capitals", ["YOU HAVE BEEN CHOSEN"]),
    ("SUBJ_MANY_EXCLAIM", r"!{3,}", "", 1.5, "any", "Three or more exclamation marks", ["Amazing deal!!!"]),
    ("SUBJ_DOLLAR_AMOUNT", r"\$\s?\d{1,3}(,\d{3})+(\.\d\d)?", "", 2.0, "lottery", "Large dollar amount", ["$1,500,000.00 awarded"]),
    ("SUBJ_MONEY_SIGNS", r"[$\x{20ac}\x{a3}]{2,}", "u", 2.0, "any", "Repeated currency signs", ["$$$ make money $$$"]),
    ("SUBJ_HIDDEN_CHARS", r"[\x{200b}-\x{200d}\x{feff}]", "u", 2.5, "any", "Zero-width characters in Subject", ["Se\u200bcurity alert"]),
    ("SUBJ_TICKET_REF", r"\b(ref|case|ticket)\s?(no\.?|#)\s?[A-Z0-9]{6,}\b.{0,30}\b(suspend|verify|locked|refund)", "i", 2.5, "phish", "Case number with a threat", ["Case #ZX77A9Q1 - verify now"]),
    ("SUBJ_REFUND", r"\b(tax\s)?refund\s(of\s)?[$\x{20ac}\x{a3}]?\d+", "iu", 2.5, "phish", "Refund amount in Subject", ["Tax refund of 340.50"]),
    ("SUBJ_REPLICA", r"\b(replica|rolex|luxury\swatches)\b", "i", 3.0, "shop", "Replica goods", ["Replica watches 90% off"]),
    ("SUBJ_SEO_OFFER", r"\b(seo|first\spage\sof\sgoogle|backlinks)\b", "i", 2.0, "shop", "SEO spam", ["First page of Google guaranteed"]),
]

FROM_NAME = [
    ("FROM_NAME_SECURITY", r"^\"?(account|security|billing|support)\s(team|department|center|alert)s?\b", "i", 1.5, "phish", "From name like a security team", ["\"Security Team\" <alert@deals01.biz>"]),
    ("FROM_NAME_ADMIN", r"^\"?(mail|mailbox|webmail|e-?mail)\s?(admin|administrator|support|service)\b", "i", 2.5, "phish", "From name Mailbox Administrator", ["\"Mailbox Administrator\" <x@deals01.biz>"]),
    ("FROM_NAME_BANKISH", r"^\"?(online\sbanking|bank\s(alert|notice|security))\b", "i", 2.0, "phish", "From name of a bank alert", ["\"Online Banking\" <notice@deals02.biz>"]),
    ("FROM_NAME_LOTTERY", r"^\"?[^\"<]*\b(lottery|sweepstakes|claims\sdept|prize\s(board|committee))\b", "i", 3.0, "lottery", "From name of a lottery", ["\"Euro Lottery Claims Dept\" <claims@deals03.biz>"]),
    ("FROM_NAME_PHARMA", r"^\"?[^\"<]*\b(pharmacy|meds|pills|rx\sstore)\b", "i", 3.0, "pharma", "From name of a pharmacy", ["\"Discount Meds\" <shop@deals01.biz>"]),
    ("FROM_NAME_CRYPTO", r"^\"?[^\"<]*\b(crypto|bitcoin|btc|blockchain|wallet)\b", "i", 2.0, "crypto", "From name about crypto", ["\"Bitcoin Wallet\" <no-reply@deals02.biz>"]),
    ("FROM_NAME_DATING", r"^\"?(lonely|sexy|hot)\s", "i", 3.0, "dating", "From name of a dating spammer", ["\"Lonely Kate\" <kate@deals03.biz>"]),
    ("FROM_NAME_DOCUSIGN", r"^\"?[^\"<]*\b(docu\s?sign|e-?signature|shared\sa\sdocument)\b", "i", 2.5, "phish", "From name of a document share", ["\"DocuSign via Mary\" <sign@deals01.biz>"]),
    ("FROM_NAME_ADDR", r"^\"?[^\"<@]+@[^\"<]+\"?\s<", "", 1.0, "any", "Display name holds an address", ["\"service@bank01.com\" <x@deals03.biz>"]),
    ("FROM_NAME_ALL_CAPS", r"^\"?[A-Z]{3,}(\s[A-Z]{3,})+\"?\s<", "", 1.0, "any", "Display name in capitals", ["\"BEST DEALS NOW\" <x@deals01.biz>"]),
    ("FROM_NAME_MONEY", r"^\"?[^\"<]*[$\x{20ac}\x{a3}]", "u", 1.5, "any", "Currency sign in From name", ["\"$$ Cash Now\" <x@deals02.biz>"]),
    ("FROM_NAME_NOREPLY_BANK", r"^\"?[^\"<]*\b(paypal|paypa1|amazon|apple|microsoft|netflix)\b[^<]*<[^>]*@(?!(paypal|amazon|apple|microsoft|netflix)\.com>)", "i", 3.0, "phish", "Famous brand name, other domain", ["\"PayPal Service\" <service@deals01.biz>"]),
    ("FROM_FREEMAIL_CORP", r"\b(ceo|cfo|director|president)\b[^<]*<[^>]*@mail0\d\.net>", "i", 2.0, "phish", "Executive title from a mailbox provider", ["\"CEO John Smith\" <j.smith77@mail01.net>"]),
]

REPLY_TO = [
    ("REPLYTO_FREEMAIL", r"@(mail0\d\.net|gmail\.com|outlook\.com|yahoo\.com|hotmail\.com)\b", "i", 1.5, "any", "Reply-To at a mailbox provider", ["claims.office@mail02.net"]),
    ("REPLYTO_CLAIMS", r"\b(claims?|agent|processing|payout)[._-]?\w*@", "i", 2.0, "lottery", "Reply-To of a claims agent", ["claims.agent@mail03.net"]),
    ("REPLYTO_NUMBERED", r"[a-z]+\d{4,}@", "i", 1.0, "any", "Reply-To with many digits", ["support44021@mail01.net"]),
    ("REPLYTO_DIFF_TLD", r"@[^>]+\.(top|xyz|click|work|loan|icu)\b", "i", 2.5, "any", "Reply-To in a cheap TLD", ["agent@payout-office.top"]),
    ("REPLYTO_HR", r"^\"?(hr|payroll|recruit)", "i", 1.0, "job", "Reply-To of HR", ["\"Recruiting\" <recruit@mail02.net>"]),
    ("REPLYTO_CRYPTO", r"(crypto|coin|wallet|btc)\w*@", "i", 1.5, "crypto", "Reply-To of a crypto desk", ["walletdesk@mail01.net"]),
]

X_MAILER = [
    ("XMAILER_BULK_TOOL", r"\b(atomic\s?mail|mass\s?mailer|bulk\s?mailer|sendblaster|group\smail)\b", "i", 3.0, "any", "Bulk mailing tool", ["Atomic Mail Sender 9.41"]),
    ("XMAILER_PHP", r"^php\/?\d|phpmailer\s\d\.\d", "i", 1.0, "any", "PHP mailer", ["PHPMailer 5.2.9 (https://github.com/PHPMailer/PHPMailer)"]),
    ("XMAILER_OLD_OUTLOOK", r"^Microsoft\sOutlook\sExpress\s[56]\.", "", 2.0, "any", "Outlook Express claim", ["Microsoft Outlook Express 6.00.2900.5512"]),
    ("XMAILER_OLD_OFFICE", r"^Microsoft\sOffice\sOutlook,?\sBuild\s11\.", "", 1.5, "any", "Outlook 2003 claim", ["Microsoft Office Outlook, Build 11.0.5510"]),
    ("XMAILER_THEBAT_OLD", r"^The\sBat!\s\(v[1-3]\.", "", 1.5, "any", "Old The Bat! claim", ["The Bat! (v3.5.25) Professional"]),
    ("XMAILER_RANDOM_HEX", r"^[0-9a-f]{16,}$", "i", 2.0, "any", "X-Mailer of random hex", ["9f3b2c71a0e4d6b8c1f2"]),
]

MESSAGE_ID = [
    ("MSGID_NO_DOMAIN_DOT", r"^<[^@>]+@[^.>]+>$", "", 1.5, "any", "Message-ID domain without a dot", ["<1122334455@localhost>"]),
    ("MSGID_RANDOM_UPPER", r"^<[A-Z0-9]{20,}@", "", 1.0, "any", "Message-ID of upper-case noise", ["<QX7Z0PLM2K9W8TR4HB6Y@deals01.biz>"]),
    ("MSGID_SPACES", r"^<[^>]*\s[^>]*>$", "", 2.0, "any", "Message-ID with a blank inside", ["<abc def@deals01.biz>"]),
    ("MSGID_MISSING_BRACKETS", r"^[^<\s]+@[^>\s]+$", "", 1.5, "any", "Message-ID without angle brackets", ["5521337.7731@deals02.biz"]),
    ("MSGID_DOLLAR_STYLE", r"^<[0-9a-f]{8}\$[0-9a-f]{8}\$[0-9a-f]{8}@", "i", 1.5, "any", "Outlook Express style Message-ID", ["<000a01c2$3f2e7a10$0b01a8c0@deals03.biz>"]),
    ("MSGID_IP_LITERAL", r"@\[?\d{1,3}(\.\d{1,3}){3}\]?>$", "", 1.5, "any", "Message-ID with an IP address", ["<77613.19@203.0.113.99>"]),
]

RECEIVED = [
    ("RCVD_DYNAMIC_HOST", r"\bfrom\s\S*\b(dyn|dynamic|dsl|cable|pool|ppp|dhcp)[-.\d]", "i", 1.5, "any", "Relayed from a dynamic-looking host", ["from dsl-203-0-113-77.pool.example (dsl-203-0-113-77.pool.example [203.0.113.77]) by mta1.deals01.biz"]),
    ("RCVD_HELO_IP", r"\bfrom\s\[?\d{1,3}(\.\d{1,3}){3}\]?\s\(", "", 1.0, "any", "HELO as a bare address", ["from [203.0.113.45] (unknown [203.0.113.45]) by mta1.deals02.biz"]),
    ("RCVD_UNKNOWN_CLIENT", r"\(unknown\s\[\d{1,3}(\.\d{1,3}){3}\]\)", "", 0.5, "any", "Relay without reverse DNS", ["from x (unknown [203.0.113.45])"]),
    ("RCVD_FAKE_MS", r"\bby\s\S+\swith\sMicrosoft\sSMTPSVC\(5\.", "", 1.5, "any", "Old IIS SMTP hop", ["by mail.example with Microsoft SMTPSVC(5.0.2195.6713)"]),
    ("RCVD_LOCALHOST_WEBMAIL", r"\bfrom\s(www-data|apache|nobody)\b", "i", 1.0, "any", "Sent by a web server user", ["from www-data by mta1.deals03.biz with local"]),
    ("RCVD_BULK_HOP", r"\bby\s(bulk|mass|blast)\d*\.", "i", 1.5, "any", "Relayed by a bulk host", ["from app1 by blast3.deals01.biz with ESMTP"]),
]

OTHER_HEADERS = [
    ("TO_UNDISCLOSED", r"^undisclosed[\s-]recipients:?;?", "i", 1.0, "any", "To: undisclosed recipients", ["undisclosed-recipients:;"]),
    ("TO_MANY_NUMBERED", r"(user|info|contact)\d{3,}@", "i", 0.5, "any", "To holds numbered addresses", ["info4411@mailhub.test"]),
    ("CTYPE_HTML_ONLY", r"^text\/html\b", "i", 0.3, "any", "Only an HTML part", ["text/html; charset=utf-8"]),
    ("CTYPE_CHARSET_WIN", r"charset=\"?windows-125[0-8]", "i", 0.3, "any", "Windows charset at the top", ["text/plain; charset=windows-1251"]),
    ("LIST_UNSUB_MAILTO_ONLY", r"^<mailto:[^>]+>$", "i", 0.2, "any", "List-Unsubscribe by mail only", ["<mailto:leave-4411@bulk01.info>"]),
    ("PRIORITY_HIGH", r"^(1|high|urgent)\b", "i", 0.5, "any", "X-Priority high", ["1 (Highest)"]),
]

BODY = [
    # phishing
    ("BODY_VERIFY_ACCOUNT", r"\b(verify|confirm|validate|update)\s(your\s)?(account|identity|billing\sinformation|login\sdetails)\b", "i", 3.0, "phish", "Asks to verify an account", ["Please verify your account within 24 hours"]),
    ("BODY_ACCOUNT_SUSPENDED", r"\baccount\s(has\sbeen|will\sbe|is)\s(temporarily\s)?(suspended|limited|locked|deactivated|closed)\b", "i", 3.0, "phish", "Account suspended", ["your account has been temporarily suspended"]),
    ("BODY_CLICK_TO_VERIFY", r"\bclick\s(here|the\slink|below)\s(to|and)\s(verify|confirm|restore|unlock|reactivate)\b", "i", 3.0, "phish", "Click to verify", ["Click here to verify your details."]),
    ("BODY_WITHIN_HOURS", r"\bwithin\s(24|48|72)\s?hours\b.{0,60}\b(suspend|clos|terminat|delet|lose)", "is", 2.5, "phish", "Deadline with a threat", ["within 24 hours or your account will be closed and you lose access"]),
    ("BODY_UNUSUAL_ACTIVITY", r"\b(unusual|suspicious|unauthori[sz]ed)\s(activity|sign-?in|login|access|transaction)\b", "i", 2.0, "phish", "Unusual activity", ["We detected unusual activity on your account."]),
    ("BODY_LOGIN_DETAILS", r"\b(enter|provide|submit)\s(your\s)?(password|pin|login\scredentials|card\sdetails|security\scode)\b", "i", 3.0, "phish", "Asks for credentials", ["Enter your password to continue."]),
    ("BODY_MAILBOX_QUOTA", r"\bmailbox\s(has\s)?(exceeded|reached)\s(its\s|the\s)?(storage\s)?(limit|quota)\b", "i", 3.0, "phish", "Mailbox quota phish", ["Your mailbox has exceeded its storage limit"]),
    ("BODY_SHARED_DOCUMENT", r"\b(has\s)?shared\sa\s(secure\s)?(document|file|folder)\swith\syou\b", "i", 2.0, "phish", "Document shared with you", ["Mary has shared a secure document with you"]),
    ("BODY_PARCEL_FEE", r"\b(parcel|package|shipment)\b.{0,80}\b(customs|redelivery|delivery)\sfee\b", "is", 3.0, "phish", "Parcel fee scam", ["Your parcel is waiting. Pay the redelivery fee of 1.99"]),
    ("BODY_TAX_REFUND", r"\b(you\sare\seligible|eligible)\sfor\sa\s(tax\s)?refund\b", "i", 3.0, "phish", "Tax refund eligibility", ["You are eligible for a tax refund of 310.20"]),
    ("BODY_DEAR_CUSTOMER", r"\bdear\s(valued\s)?(customer|client|user|member|account\sholder)\b", "i", 1.0, "any", "Dear customer", ["Dear valued customer,"]),
    ("BODY_DEAR_EMAIL", r"\bdear\s[a-z0-9._%+-]+@[a-z0-9.-]+\b", "i", 2.0, "any", "Dear user@domain", ["Dear anna.berger@mailhub.test,"]),
    ("BODY_SECURITY_REASONS", r"\bfor\s(your\s)?security\sreasons?\b", "i", 1.0, "phish", "For security reasons", ["For security reasons we have limited access"]),
    ("BODY_FAILURE_TO", r"\bfailure\sto\s(comply|verify|respond|update)\b", "i", 2.0, "phish", "Failure to comply", ["Failure to verify will result in closure"]),
    ("BODY_IT_HELPDESK", r"\b(it\s(help\s?desk|service\sdesk)|system\sadministrator)\b.{0,80}\b(upgrade|migrat|validat|quota)", "is", 2.0, "phish", "IT helpdesk upgrade phish", ["IT Helpdesk: we are upgrading all mailboxes; validate now"]),
    ("BODY_WIRE_TRANSFER", r"\b(urgent|immediate)\s(wire|bank)\stransfer\b", "i", 3.0, "phish", "Urgent wire transfer", ["I need an urgent wire transfer today"]),
    ("BODY_GIFT_CARDS_CEO", r"\b(buy|purchase|get)\s(some\s)?(itunes|google\splay|amazon|steam)\sgift\s?cards?\b", "i", 3.5, "phish", "Gift card request", ["Can you buy some Google Play gift cards for me"]),
    ("BODY_AM_IN_MEETING", r"\bi('m|\sam)\sin\sa\smeeting\b.{0,60}\b(quick|favou?r|task)\b", "is", 2.0, "phish", "CEO fraud opener", ["I'm in a meeting right now, I need a quick favour"]),
    ("BODY_INVOICE_ATTACHED_PAY", r"\b(attached|enclosed)\s(is\s)?(the\s)?(overdue|unpaid|outstanding)\s(invoice|payment)\b", "i", 2.5, "phish", "Overdue invoice attached", ["Attached is the overdue invoice, pay today"]),
    ("BODY_BANK_CHANGED", r"\b(our|the)\sbank(ing)?\s(details|account)\s(have|has)\schanged\b", "i", 3.0, "phish", "Changed bank details", ["Please note our bank details have changed"]),
    ("BODY_RESTORE_ACCESS", r"\b(restore|regain|recover)\s(full\s)?access\sto\s(your\s)?(account|mailbox|funds)\b", "i", 2.5, "phish", "Restore access", ["restore full access to your account"]),
    ("BODY_APPLE_ID", r"\b(apple\sid|icloud\saccount|microsoft\saccount|office\s?365\saccount)\b.{0,40}\b(locked|disabled|expired|suspended)\b", "is", 3.0, "phish", "Locked cloud account", ["Your Apple ID has been locked"]),
    # lottery / advance fee
    ("BODY_LOTTERY_WIN", r"\byou\s(have\s)?(won|been\sawarded)\b.{0,60}\b(lottery|prize|sum|jackpot|draw)\b", "is", 3.5, "lottery", "Lottery win", ["you have won the sum of $950,000 in our lottery"]),
    ("BODY_WINNING_NUMBER", r"\b(winning|ticket|batch|reference)\s(number|no)\b[:.]?\s?[A-Z0-9\/-]{5,}", "i", 2.0, "lottery", "Winning number", ["Ticket number: EL-7741-99A"]),
    ("BODY_CLAIMS_AGENT", r"\b(contact|reach)\s(our|the|your)\s(claims|fiduciary|processing)\s(agent|officer|department)\b", "i", 3.0, "lottery", "Contact the claims agent", ["contact our claims agent Mr. Peter Hall"]),
    ("BODY_NEXT_OF_KIN", r"\bnext\sof\skin\b", "i", 3.0, "lottery", "Next of kin", ["to act as next of kin to the deceased"]),
    ("BODY_MILLION_DOLLARS", r"\b(\d{1,3}(,\d{3}){2,}|\d+(\.\d+)?\s?million)\s?(us\s?dollars|usd|euros?|gbp|pounds)\b", "i", 2.5, "lottery", "Millions of dollars", ["12.5 million US dollars", "4,500,000 USD"]),
    ("BODY_BENEFICIARY", r"\b(as\s)?the\s(sole\s)?beneficiary\b", "i", 2.0, "lottery", "Beneficiary", ["as the sole beneficiary of the fund"]),
    ("BODY_CONFIDENTIAL_DEAL", r"\b(strictly|highly)\sconfidential\b", "i", 1.5, "lottery", "Strictly confidential", ["Keep this strictly confidential."]),
    ("BODY_FUNDS_TRANSFER", r"\btransfer\s(of\s)?(the\s)?(funds?|sum|inheritance)\b", "i", 2.0, "lottery", "Transfer of the funds", ["the transfer of the funds to your account"]),
    ("BODY_PROCESSING_FEE", r"\b(processing|clearance|release|handling)\sfee\b", "i", 2.0, "lottery", "Processing fee", ["a small clearance fee of 250 USD"]),
    ("BODY_BARRISTER", r"\b(barrister|attorney\sat\slaw|solicitor)\b.{0,40}\b(late|deceased)\b", "is", 2.5, "lottery", "Barrister and late client", ["I am Barrister Hall, solicitor to the late Mr. Green"]),
    ("BODY_PERSONAL_INFO_FORM", r"\b(full\sname|home\saddress|phone\snumber|date\sof\sbirth)\b.{0,40}\b(full\sname|home\saddress|phone\snumber|date\sof\sbirth|occupation)\b", "is", 2.0, "lottery", "Asks for personal details", ["Send your full name, home address, phone number"]),
    ("BODY_SELECTED_RANDOMLY", r"\b(was|were|has\sbeen|have\sbeen)\s(randomly\s)?selected\b.{0,40}\b(winner|draw|promotion|lucky)\b", "is", 2.5, "lottery", "Randomly selected winner", ["your address was randomly selected as a lucky winner"]),
    # pharma
    ("BODY_VIAGRA", r"\b(v[i1!]agra|c[i1!]al[i1!]s|levitra|kamagra|tadalafil|sildenafil)\b", "i", 3.5, "pharma", "Erectile drug names", ["Generic Viagra and Cialis"]),
    ("BODY_PILLS_PRICE", r"\b(pills?|tablets?|caps)\b.{0,20}\$\s?\d+(\.\d\d)?\s?(per|\/|a)\s?(pill|tablet|dose)\b", "is", 3.0, "pharma", "Price per pill", ["pills from $0.99 per pill"]),
    ("BODY_NO_PRESCRIPTION", r"\bno\s(prior\s)?(prescription|rx|doctor\s?visit)\s(needed|required)\b", "i", 3.0, "pharma", "No prescription needed", ["no prescription needed, discreet shipping"]),
    ("BODY_DISCREET_SHIPPING", r"\bdiscreet\s(packaging|shipping|delivery)\b", "i", 2.0, "pharma", "Discreet shipping", ["discreet packaging worldwide"]),
    ("BODY_WEIGHT_LOSS", r"\b(lose|burn|drop)\s(up\sto\s)?\d{1,3}\s?(lbs|pounds|kg|kilos)\b", "i", 2.5, "pharma", "Lose weight fast", ["lose up to 30 lbs in a month"]),
    ("BODY_MIRACLE_CURE", r"\b(miracle|secret|breakthrough)\s(cure|pill|formula|supplement)\b", "i", 2.5, "pharma", "Miracle cure", ["this secret formula doctors hate"]),
    ("BODY_DOCTORS_HATE", r"\bdoctors\s(hate|don'?t\swant\syou)\b", "i", 2.5, "pharma", "Doctors hate this", ["the trick doctors hate"]),
    ("BODY_ENLARGE", r"\b(male|penile|size)\s(enhancement|enlargement)\b", "i", 3.0, "pharma", "Enhancement offer", ["male enhancement pills"]),
    ("BODY_ONLINE_PHARMACY", r"\b(online|canadian|licensed|generic)\s(pharmacy|drugstore)\b", "i", 2.5, "pharma", "Online pharmacy", ["our licensed online pharmacy"]),
    # crypto / investment
    ("BODY_CRYPTO_DOUBLE", r"\b(double|triple|10x)\s(your\s)?(bitcoin|btc|crypto|eth|investment|money)\b", "i", 3.5, "crypto", "Double your crypto", ["double your bitcoin in 24 hours"]),
    ("BODY_WALLET_SEED", r"\b(seed\sphrase|recovery\sphrase|private\skey|wallet\spassphrase)\b", "i", 3.0, "crypto", "Asks for a wallet seed", ["enter your 12-word recovery phrase"]),
    ("BODY_BTC_ADDRESS", r"\b(bc1[ac-hj-np-z02-9]{25,59}|[13][a-km-zA-HJ-NP-Z1-9]{25,34})\b", "", 2.5, "crypto", "Bitcoin address", ["1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"]),
    ("BODY_GUARANTEED_RETURNS", r"\bguaranteed\s(daily\s|weekly\s|monthly\s)?(returns?|profits?|income)\b", "i", 3.0, "crypto", "Guaranteed returns", ["guaranteed daily returns of 4%"]),
    ("BODY_TRADING_BOT", r"\b(trading|crypto|forex)\s(bot|robot|algorithm|signals?)\b.{0,60}\b(profit|earn|returns?)\b", "is", 2.5, "crypto", "Trading bot profits", ["our crypto trading bot earns a profit every day"]),
    ("BODY_AIRDROP", r"\b(airdrop|token\s(sale|presale)|ico)\b.{0,40}\b(claim|limited|free|bonus)\b", "is", 2.5, "crypto", "Token airdrop", ["airdrop: claim your free tokens"]),
    ("BODY_INVEST_NOW", r"\b(invest|deposit)\s(as\slittle\sas|only|just)\s\$?\d+", "i", 2.0, "crypto", "Invest as little as", ["invest as little as $250 today"]),
    ("BODY_BLACKMAIL_BTC", r"\b(i\shave\s(access|recorded)|your\s(device|camera)\swas\shacked)\b.{0,200}\b(bitcoin|btc)\b", "is", 4.0, "crypto", "Sextortion with a bitcoin demand", ["I have recorded you. Pay 1200 in bitcoin"]),
    # loans / money
    ("BODY_LOAN_APPROVED", r"\b(your\s)?(loan|credit|application)\s(has\sbeen|is)\s(pre-?)?approved\b", "i", 3.0, "loan", "Loan approved", ["Your loan has been pre-approved"]),
    ("BODY_BAD_CREDIT_OK", r"\b(bad|poor|no)\scredit\s(ok|okay|accepted|welcome|no\sproblem)\b", "i", 3.0, "loan", "Bad credit OK", ["Bad credit OK!"]),
    ("BODY_CASH_FAST", r"\b(fast|quick|instant|same[\s-]day)\s(cash|money|loans?|payout)\b", "i", 2.0, "loan", "Fast cash", ["instant cash in your account"]),
    ("BODY_NO_CREDIT_CHECK", r"\bno\scredit\scheck\b", "i", 2.5, "loan", "No credit check", ["no credit check required"]),
    # jobs / money making
    ("BODY_EARN_PER_DAY", r"\b(earn|make)\s(up\sto\s)?\$?\d{3,5}\s?(\/|per|a)\s?(day|week|hour)\b", "i", 3.0, "job", "Earn a sum per day", ["earn up to $800 per day"]),
    ("BODY_WORK_FROM_HOME", r"\b(work|job|earn)\s(from|at)\shome\b", "i", 2.0, "job", "Work from home", ["a work from home position"]),
    ("BODY_NO_EXPERIENCE", r"\bno\s(prior\s)?experience\s(needed|required|necessary)\b", "i", 1.5, "job", "No experience needed", ["no experience necessary"]),
    ("BODY_MONEY_MULE", r"\b(payment|financial)\s(processing\s)?(agent|representative|assistant)\b.{0,60}\b(commission|percent|%)", "is", 3.0, "job", "Payment agent job", ["payment processing agent, keep 10% commission"]),
    ("BODY_MYSTERY_SHOPPER", r"\bmystery\sshopper\b", "i", 2.5, "job", "Mystery shopper", ["Become a mystery shopper"]),
    # dating / adult
    ("BODY_LONELY_WOMEN", r"\b(lonely|hot|horny|single)\s(women|girls|ladies|milfs?)\s(near|in|around)\syou\b", "i", 3.5, "dating", "Singles near you", ["lonely women near you want to chat"]),
    ("BODY_SEE_MY_PHOTOS", r"\b(see|view|check)\s(out\s)?my\s(private\s)?(photos|pics|profile|videos)\b", "i", 2.0, "dating", "See my photos", ["see my private photos here"]),
    ("BODY_ADULT_WORDS", r"\b(xxx|porn|nude|naked|webcam\sgirls?)\b", "i", 2.5, "dating", "Adult words", ["free webcam girls"]),
    # shop spam
    ("BODY_REPLICA", r"\b(replica|fake)\s(watches|rolex|handbags|designer)\b", "i", 3.0, "shop", "Replica goods", ["Swiss replica watches"]),
    ("BODY_SEO_RANKING", r"\b(first\spage\sof\sgoogle|top\sranking|seo\sservices?|quality\sbacklinks)\b", "i", 2.0, "shop", "SEO services", ["we get you on the first page of Google"]),
    ("BODY_EMAIL_LIST_SALE", r"\b(email|mailing|b2b)\s(list|database|leads)\b.{0,40}\b(million|contacts|verified)\b", "is", 2.5, "shop", "E-mail list for sale", ["B2B email list with 2 million verified contacts"]),
    # generic urgency / style
    ("BODY_ACT_NOW", r"\b(act|order|call|respond|reply)\s(now|immediately|today)\b[!.]", "i", 1.5, "any", "Act now", ["Act now!", "Reply immediately."]),
    ("BODY_LIMITED_TIME", r"\b(limited[\s-]time|offer\sexpires|expires\s(today|tonight|soon))\b", "i", 1.0, "any", "Limited time", ["This limited-time offer expires tonight"]),
    ("BODY_100_PERCENT", r"\b100\s?%\s(free|guaranteed|satisfied|risk[\s-]free|legal|legit)\b", "i", 2.0, "any", "100% free/guaranteed", ["100% risk-free"]),
    ("BODY_RISK_FREE", r"\b(risk[\s-]free|no\srisk|money[\s-]back\sguarantee)\b", "i", 1.5, "any", "Risk free", ["money-back guarantee"]),
    ("BODY_ONCE_IN_LIFETIME", r"\bonce\sin\sa\slife\s?time\b", "i", 2.0, "any", "Once in a lifetime", ["a once in a lifetime chance"]),
    ("BODY_CLICK_HERE", r"\bclick\s(here|below|this\slink)\b", "i", 1.0, "any", "Click here", ["Click here to claim"]),
    ("BODY_NOT_SPAM", r"\b(this\sis\snot\s(a\s)?spam|not\sjunk\smail)\b", "i", 2.5, "any", "Claims not to be spam", ["This is not spam."]),
    ("BODY_DONT_DELETE", r"\b(do\snot|don'?t)\s(delete|ignore)\sthis\s(email|message)\b", "i", 2.0, "any", "Do not delete this message", ["Do not ignore this message"]),
    ("BODY_CASH_BONUS", r"\b(cash|sign[\s-]?up|welcome)\sbonus\b", "i", 1.5, "any", "Cash bonus", ["welcome bonus of 200%"]),
    ("BODY_WINNER_CAPS", r"\b(WINNER|CONGRATULATIONS|URGENT|FREE|GUARANTEED)\b", "", 1.0, "any", "Spam words in capitals", ["CONGRATULATIONS", "GUARANTEED"]),
    ("BODY_DEAR_FRIEND", r"\bdear\s(friend|beloved|sir\/madam|sir\sor\smadam)\b", "i", 2.0, "lottery", "Dear friend", ["Dear friend,", "Dear Sir/Madam"]),
    ("BODY_KINDLY", r"\bkindly\s(send|reply|provide|revert|confirm|contact|click|update)\b", "i", 1.5, "any", "Kindly do", ["Kindly revert with your details"]),
    ("BODY_GIFT_CARD", r"\b(free|complimentary)\s\$?\d{2,4}\s(gift\s?card|voucher|coupon)\b", "i", 2.0, "prize", "Free gift card", ["claim your free $100 gift card"]),
    ("BODY_SURVEY_REWARD", r"\b(complete|take|answer)\s(our|this|a)\s(short\s|quick\s)?survey\b.{0,60}\b(reward|gift|prize|free)\b", "is", 2.5, "prize", "Survey with a reward", ["Complete our short survey and get a free reward"]),
    ("BODY_CONGRATS_SELECTED", r"\bcongratulations\b.{0,60}\b(selected|chosen|won|winner|eligible)\b", "is", 2.5, "prize", "Congratulations, selected", ["Congratulations, you have been selected"]),
]

URL = [
    ("URL_IP_LITERAL", r"^https?:\/\/\d{1,3}(\.\d{1,3}){3}([:\/]|$)", "", 2.5, "phish", "Link to a bare IP address", ["http://203.0.113.99/login"]),
    ("URL_LOGIN_PATH", r"^https?:\/\/[^\/]+\/[^?#]*(login|signin|verify|account-update|secure-update|webscr)\b", "i", 1.5, "phish", "Link to a login-looking path", ["https://secure-update.top/webscr/signin"]),
    ("URL_PHP_REDIRECT", r"\/(redirect|redir|out|go)\.php\?(u|url|to)=https?", "i", 2.0, "any", "Open redirect link", ["http://deals01.biz/go.php?url=https://deals02.biz/"]),
    ("URL_EXE_DOWNLOAD", r"\.(exe|scr|js|vbs|jar|msi|bat|cmd)(\?|$)", "i", 3.0, "malware", "Link to a program", ["https://files-dl.xyz/invoice.exe"]),
    ("URL_ARCHIVE_DOWNLOAD", r"\/[^\/?#]*(invoice|payment|statement|document|scan)[^\/?#]*\.(zip|rar|7z|iso|img)(\?|$)", "i", 2.5, "malware", "Link to an archive of a 'document'", ["https://cdn-share.click/Invoice_7741.zip"]),
    ("URL_BRAND_IN_PATH", r"^https?:\/\/[^\/]+\/[^?#]*\b(paypal|apple|microsoft|office365|netflix|amazon)\b", "i", 2.0, "phish", "Brand name in the path of another host", ["https://203.0.113.44/paypal/login"]),
    ("URL_LONG_SUBDOMAINS", r"^https?:\/\/([a-z0-9-]+\.){5,}[a-z]+([:\/]|$)", "i", 1.5, "phish", "Many labels in a host", ["https://secure.login.account.verify.service.deals01.biz/"]),
    ("URL_DATA_URI_TRACK", r"[?&](email|e|rcpt)=[^&]+(@|%40)", "i", 1.0, "any", "Recipient address inside a link", ["https://deals02.biz/t?email=anna%40mailhub.test"]),
    ("URL_PHARMA_PATH", r"\/(viagra|cialis|pills|pharmacy|meds)\b", "i", 2.5, "pharma", "Pharma word in a link", ["https://deals01.biz/pharmacy/cheap"]),
    ("URL_CRYPTO_PATH", r"\/(wallet-connect|walletconnect|claim-airdrop|airdrop|validate-wallet)\b", "i", 2.5, "crypto", "Wallet phish link", ["https://dapp-sync.top/walletconnect"]),
    ("URL_TRACKING_CHAIN", r"[?&](url|u|r|redirect)=https?(:|%3a)", "i", 1.0, "any", "Link that carries another link", ["https://deals01.biz/r?u=https%3a%2f%2fdeals03.biz"]),
    ("URL_WP_CONTENT_PHISH", r"\/wp-(content|includes|admin)\/[^?#]*\.(html?|php)\b.{0,40}(login|verify|secure|account)", "i", 2.5, "phish", "Phish page in a hacked blog", ["http://garden-blog.net/wp-content/uploads/x/index.php?verify=1"]),
]

URL_DOMAIN = [
    ("URLDOM_SHORTENER", r"^(bit\.ly|tinyurl\.com|goo\.gl|ow\.ly|is\.gd|t\.co|cutt\.ly|rebrand\.ly)$", "i", 1.5, "any", "URL shortener", ["bit.ly", "tinyurl.com"]),
    ("URLDOM_CHEAP_TLD", r"\.(top|xyz|click|work|loan|icu|buzz|rest|cyou|cfd|sbs)$", "i", 2.0, "any", "Link into a cheap TLD", ["secure-update.top", "files-dl.xyz"]),
    ("URLDOM_FREE_HOSTING", r"^(000webhostapp\.com|weebly\.com|wixsite\.com|firebaseapp\.com|web\.app|glitch\.me|ngrok\.io|repl\.co)$", "i", 2.0, "phish", "Link to free hosting", ["000webhostapp.com", "glitch.me"]),
    ("URLDOM_BRAND_LOOKALIKE", r"(paypa1|pay-pal|app1e|micros0ft|amaz0n|netfl1x|g00gle)", "i", 3.5, "phish", "Look-alike of a brand", ["paypa1-security.com", "micros0ft-support.net"]),
    ("URLDOM_SECURE_WORDS", r"^(secure|login|verify|account|update|support|service)s?[-.]", "i", 1.5, "phish", "Security words in a domain", ["secure-update.top", "verify-account.click"]),
    ("URLDOM_HYPHEN_SPAM", r"^([a-z0-9]+-){3,}[a-z0-9]+\.", "i", 1.5, "any", "Domain of many hyphenated words", ["best-cheap-online-pills.com"]),
    ("URLDOM_DIGITS", r"^[a-z]*\d{4,}[a-z]*\.", "i", 1.0, "any", "Domain with long digit runs", ["win8841.top"]),
    ("URLDOM_PHARMA", r"(pharma|pills|meds|rx|viagra|cialis)[a-z0-9-]*\.", "i", 2.5, "pharma", "Pharma domain", ["cheap-meds-online.xyz", "rxstore.top"]),
    ("URLDOM_CRYPTO", r"(crypto|coin|wallet|btc|dapp|defi|airdrop)[a-z0-9-]*\.", "i", 1.5, "crypto", "Crypto domain", ["wallet-sync.top", "dapp-sync.top"]),
    ("URLDOM_LOTTERY", r"(lotto|lottery|jackpot|prize|winner)[a-z0-9-]*\.", "i", 2.0, "lottery", "Lottery domain", ["euro-jackpot-claims.top"]),
    ("URLDOM_DATING", r"(dating|singles|flirt|hookup|meet)[a-z0-9-]*\.", "i", 1.5, "dating", "Dating domain", ["local-singles-now.xyz"]),
]

ATTACHMENT = [
    ("ATT_DOUBLE_EXT", r"\.(pdf|docx?|xlsx?|jpe?g|png|txt)\.(exe|scr|js|vbs|bat|cmd|com|pif|jar)$", "i", 5.0, "malware", "Double extension", ["invoice.pdf.exe", "photo.jpg.scr"]),
    ("ATT_EXECUTABLE", r"\.(exe|scr|pif|com|cpl|msi|hta|vbs|vbe|jse?|wsf|lnk)$", "i", 4.0, "malware", "Executable attachment", ["setup.exe", "update.hta"]),
    ("ATT_SCRIPT_ARCHIVE", r"\.(iso|img|vhdx?|ace|arj|uue|cab)$", "i", 2.5, "malware", "Disk image or odd archive", ["invoice_7712.iso", "scan.img"]),
    ("ATT_MACRO_OFFICE", r"\.(docm|xlsm|pptm|xlsb|dotm|xlam)$", "i", 2.0, "malware", "Macro-enabled Office file", ["statement.xlsm"]),
    ("ATT_HTML_ATTACH", r"\.(html?|shtml|svg)$", "i", 1.5, "phish", "HTML or SVG attachment", ["secure_message.html", "voicemail.svg"]),
    ("ATT_INVOICE_ARCHIVE", r"(invoice|payment|remittance|statement|receipt)[\w.-]*\.(zip|rar|7z|gz)$", "i", 2.0, "malware", "Invoice in an archive", ["Invoice_2025_0312.zip"]),
    ("ATT_SPACES_BEFORE_EXT", r"\s{3,}\.\w{2,4}$", "", 3.0, "malware", "Blanks hiding the extension", ["document         .exe"]),
    ("ATT_RLO_CHAR", r"\x{202e}", "u", 5.0, "malware", "Right-to-left override in a file name", ["report\u202efdp.exe"]),
    ("ATT_VOICEMAIL", r"\b(voice\s?mail|vm|audio)[\w.-]*\.(html?|zip|wav\.exe)$", "i", 2.0, "phish", "Fake voicemail", ["Voicemail_0312.html"]),
    ("ATT_FAX_SCAN", r"^(fax|scan|scanned|img)[_-]?\d{3,}\.(zip|html?|exe|iso)$", "i", 2.0, "malware", "Fake scan or fax", ["scan_00412.zip"]),
]

RAWBODY = [
    ("RAW_HIDDEN_DIV", r"<div\s[^>]*style=\"[^\"]*display:\s*none", "i", 1.5, "any", "Hidden HTML block", ["<div style=\"display:none\">garden notes and weather</div>"]),
    ("RAW_TINY_FONT", r"font-size:\s*[01](px|pt)\b", "i", 1.5, "any", "Invisible text size", ["<span style=\"font-size:0px\">quiet river valley</span>"]),
    ("RAW_WHITE_ON_WHITE", r"color:\s*#f{3}(f{3})?\b[^>]*>[^<]{20,}", "i", 1.0, "any", "White text", ["<span style=\"color:#ffffff\">hidden words to fool filters</span>"]),
    ("RAW_HTML_FORM", r"<form\s[^>]*action=\"?https?:", "i", 2.5, "phish", "HTML form that posts elsewhere", ["<form method=\"post\" action=\"https://deals01.biz/p.php\"><input type=\"text\" name=\"u\"></form>"]),
    ("RAW_PASSWORD_INPUT", r"<input\s[^>]*type=\"?password", "i", 3.0, "phish", "Password field in the mail", ["<input type=\"password\" name=\"pw\">"]),
    ("RAW_SCRIPT_TAG", r"<script\b", "i", 2.0, "any", "Script in HTML mail", ["<script>location.href='x'</script>"]),
    ("RAW_BASE64_EXE", r"^TVqQAAMAAAAEAAAA", "m", 3.0, "malware", "A Windows program, base64-encoded", ["TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAA"]),
    ("RAW_META_REFRESH", r"<meta\s[^>]*http-equiv=\"?refresh", "i", 2.0, "phish", "Meta refresh", ["<meta http-equiv=\"refresh\" content=\"0;url=https://deals01.biz/r\">"]),
    ("RAW_OBFUSC_ENTITIES", r"(&#x?[0-9a-f]{2,4};){8,}", "i", 1.5, "any", "Text written as character entities", ["&#118;&#101;&#114;&#105;&#102;&#121;&#32;&#110;&#111;&#119;"]),
]
# fmt: on

TABLES = [
    ("subject", SUBJECT), ("from", FROM_NAME), ("reply-to", REPLY_TO), ("x-mailer", X_MAILER),
    ("message-id", MESSAGE_ID), ("received", RECEIVED), ("body", BODY), ("url", URL),
    ("url-domain", URL_DOMAIN), ("attachment", ATTACHMENT), ("rawbody", RAWBODY),
]

# targets of OTHER_HEADERS, in their order
OTHER_TARGETS = ["to", "to", "content-type", "content-type", "list-unsubscribe", "x-priority"]
