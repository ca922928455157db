// Phrases of the dialog with the operators (participant card, withdrawal screen): [Russian, English].

export const PHRASES = {
  "dialog.title": ["Переписка с участником", "Dialog with the participant"],
  "dialog.none": ["Сообщений пока нет", "No messages yet"],
  "dialog.in": ["Участник", "Participant"],
  "dialog.out": ["Оператор", "Operator"],
  "dialog.via_web": ["из веб-приложения", "from the web app"],
  "dialog.via_telegram": ["в Telegram", "in Telegram"],
  "dialog.attachment": ["Вложение: {kind}", "Attachment: {kind}"],
  "dialog.attachment_link": ["открыть в Telegram", "open in Telegram"],
  "dialog.topic": ["Тема участника в группе операторов", "The participant's topic in the operators' group"],
  "dialog.reply": ["Ответ участнику", "Answer to the participant"],
  "dialog.text": ["Текст ответа", "Answer text"],
  "dialog.reply_hint": [
    "Уйдёт участнику через бота и появится в его теме с вашим именем.",
    "Goes to the participant through the bot and appears in their topic with your name.",
  ],
  "dialog.send": ["Отправить ответ", "Send the answer"],
  "dialog.sent": ["Ответ отправлен", "Answer sent"],
};
