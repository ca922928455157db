// Phrases of the balance correction's notice to the participant: [Russian, English].
export const PHRASES = {
  "edit.correction_notify": ["Сообщить участнику в боте", "Tell the participant in the bot"],
  "edit.correction_notify_reason": ["…и указать причину", "…and give the reason"],
  "edit.correction_notify_hint": [
    "Без отметки участник не узнает о корректировке из бота; причину он увидит, только если отмечено второе поле.",
    "Unticked, the participant is not told in the bot; they see the reason only when the second box is ticked too.",
  ],
};
